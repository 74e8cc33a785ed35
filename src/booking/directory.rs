//! The offices a running service books for, replaced at run time like the calendars: a
//! revision that does not validate is refused and the last good version stays in force.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::office::{InvalidOffice, Office, parse};

/// The offices as they were at one moment.
#[derive(Debug, Clone, Default)]
pub struct Offices(Arc<BTreeMap<String, Arc<Office>>>);

impl Offices {
    pub fn get(&self, id: &str) -> Option<Arc<Office>> {
        self.0.get(id).cloned()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Office>> {
        self.0.values()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The live offices by id. Readers take an [`Offices`] snapshot; a replacement copies the
/// (small) map and swaps it in (no lock is held across an await).
#[derive(Debug, Default)]
pub struct OfficeSet {
    offices: RwLock<Offices>,
}

impl OfficeSet {
    pub fn snapshot(&self) -> Offices {
        self.offices.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn get(&self, id: &str) -> Option<Arc<Office>> {
        self.snapshot().get(id)
    }

    /// Parses `source` and, only if valid, makes it the office's current version.
    pub fn update(&self, origin: &str, source: &str) -> Result<Arc<Office>, InvalidOffice> {
        let office = Arc::new(parse(origin, source)?);
        self.put(Arc::clone(&office));
        Ok(office)
    }

    /// Makes an (already checked) office the current version.
    pub fn put(&self, office: Arc<Office>) {
        let mut current = self.offices.write().unwrap_or_else(|p| p.into_inner());
        let mut map = BTreeMap::clone(&current.0);
        map.insert(office.id.clone(), office);
        *current = Offices(Arc::new(map));
    }

    /// Applies sources in order (later ones replace earlier ones of the same id); returns the
    /// problems of those that do not validate.
    pub fn load_all<'a>(&self, sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<InvalidOffice> {
        sources
            .into_iter()
            .filter_map(|(origin, text)| self.update(origin, text).err())
            .collect()
    }
}

/// An office file's text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeSource {
    pub origin: String,
    pub text: String,
}

/// The offices shipped with tsunagu (`ops/config/offices/`).
pub fn builtin() -> Vec<OfficeSource> {
    macro_rules! shipped {
        ($($file:literal),+ $(,)?) => {
            [$(($file, include_str!(concat!("../../ops/config/offices/", $file)))),+]
        };
    }
    let files = shipped!(
        "kawasaki-center-kawasaki.toml",
        "kawasaki-center-kosugi.toml",
        "kawasaki-center-mizonokuchi.toml",
        "kawasaki-center-miyamaedaira.toml",
        "kawasaki-center-shinyurigaoka.toml",
        "kawasaki-ward-kawasaki.toml",
        "kawasaki-ward-saiwai.toml",
        "kawasaki-ward-nakahara.toml",
        "kawasaki-ward-takatsu.toml",
        "kawasaki-ward-miyamae.toml",
        "kawasaki-ward-tama.toml",
        "kawasaki-ward-asao.toml",
        "yokosuka-center.toml",
    );
    files
        .iter()
        .map(|(name, text)| OfficeSource {
            origin: format!("built-in:{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

/// The `*.toml` files of a folder, sorted by name.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<OfficeSource>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            Ok(OfficeSource {
                origin: p.display().to_string(),
                text: std::fs::read_to_string(p)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::service::Service;

    #[test]
    fn the_shipped_offices_load() {
        let set = OfficeSet::default();
        let builtin = builtin();
        let problems = set.load_all(builtin.iter().map(|s| (s.origin.as_str(), s.text.as_str())));
        assert!(problems.is_empty(), "{problems:?}");
        let offices = set.snapshot();
        assert_eq!(offices.len(), 13);
        let kosugi = offices
            .get("kawasaki-center-kosugi")
            .unwrap_or_else(|| panic!("kosugi"));
        assert_eq!(kosugi.offer(Service::CardPickup).map(|o| o.capacity), Some(11));
        assert_eq!(kosugi.offer(Service::CertificateRenewal).map(|o| o.capacity), Some(7));
        let yokosuka = offices.get("yokosuka-center").unwrap_or_else(|| panic!("yokosuka"));
        assert_eq!(yokosuka.offer(Service::CertificateRenewal), None);
        // The counters of DOMAIN.md: 川崎 10/6, 溝口 3/3, 宮前平 8/3, 新百合ヶ丘 11/6.
        for (id, card, cert) in [
            ("kawasaki-center-kawasaki", 10, 6),
            ("kawasaki-center-mizonokuchi", 3, 3),
            ("kawasaki-center-miyamaedaira", 8, 3),
            ("kawasaki-center-shinyurigaoka", 11, 6),
        ] {
            let office = offices.get(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(
                office.offer(Service::CardPickup).map(|o| o.capacity),
                Some(card),
                "{id}"
            );
            assert_eq!(
                office.offer(Service::CertificateRenewal).map(|o| o.capacity),
                Some(cert),
                "{id}"
            );
        }
    }

    #[test]
    fn a_broken_revision_keeps_the_last_good_version() {
        let set = OfficeSet::default();
        let source = &builtin()[1];
        assert!(set.update(&source.origin, &source.text).is_ok());
        let broken = source.text.replace("capacity = 11", "capacity = -1");
        assert!(set.update("edit", &broken).is_err());
        let kosugi = set.get("kawasaki-center-kosugi").unwrap_or_else(|| panic!("kept"));
        assert_eq!(kosugi.offer(Service::CardPickup).map(|o| o.capacity), Some(11));
    }
}

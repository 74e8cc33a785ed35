//! Loading what the service runs on, with every problem reported and nothing half-loaded:
//! calendars (shipped, a folder, then the database), prompts, and flows checked against both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::ServeError;
use crate::booking::OfficeSet;
use crate::calendar::sources::{self, CalendarSource};
use crate::calendar::{CalendarSet, InvalidCalendar};
use crate::ivr::{Flow, FlowContext, flow};
use crate::media::prompts::PromptStore;
use crate::store::Store;

/// The live calendars: the shipped ones, then a folder's, then the database's revisions, later
/// ones replacing earlier ones of the same id. A source that does not validate is returned as
/// a problem and the previous version of its calendar stays.
pub async fn calendars(
    dir: Option<&Path>,
    store: Option<&Store>,
) -> Result<(CalendarSet, Vec<InvalidCalendar>), String> {
    let texts = calendar_sources(dir, store).await?;
    let set = CalendarSet::new();
    let problems = set.load_all(texts.iter().map(|s| (s.origin.as_str(), s.text.as_str())));
    Ok((set, problems))
}

/// The calendar files in the order they apply: shipped, the folder's, the database's.
pub async fn calendar_sources(dir: Option<&Path>, store: Option<&Store>) -> Result<Vec<CalendarSource>, String> {
    let mut texts = sources::builtin();
    if let Some(dir) = dir {
        texts.extend(
            sources::read_dir(dir).map_err(|e| format!("cannot read the calendar folder {}: {e}", dir.display()))?,
        );
    }
    if let Some(store) = store {
        let revisions = store.current_calendar_revisions().await.map_err(|e| e.to_string())?;
        texts.extend(revisions.into_iter().map(|rev| CalendarSource {
            origin: format!("database:{} revision {}", rev.calendar_id, rev.revision),
            text: rev.source,
        }));
    }
    Ok(texts)
}

/// The prompt audio; a file that does not load stops the start (a city's recording in the
/// wrong format must be noticed, not skipped).
pub fn prompts(dir: &Path) -> Result<PromptStore, ServeError> {
    let (store, errors) = PromptStore::load(dir);
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(ServeError::Invalid(format!(
            "prompt files that cannot be played:\n{}",
            list.join("\n")
        )));
    }
    if store.is_empty() {
        return Err(ServeError::Invalid(format!("no prompts under {}", dir.display())));
    }
    Ok(store)
}

/// Every flow of the folder, each checked against the prompts and calendars; any invalid
/// flow stops the start, with every problem listed.
pub fn flows(
    dir: &Path,
    prompts: &PromptStore,
    calendars: &CalendarSet,
) -> Result<BTreeMap<String, Arc<Flow>>, ServeError> {
    let (flows, problems) = check_flows(dir, prompts, calendars)?;
    if !problems.is_empty() {
        return Err(ServeError::Invalid(problems.join("\n")));
    }
    Ok(flows)
}

/// The valid flows by id, and the problems of the others (one message per flow file).
pub type CheckedFlows = (BTreeMap<String, Arc<Flow>>, Vec<String>);

/// Checks every flow of the folder: the valid ones, and the problems of the others.
pub fn check_flows(dir: &Path, prompts: &PromptStore, calendars: &CalendarSet) -> Result<CheckedFlows, ServeError> {
    let available = prompts.available();
    let calendar_ids: BTreeSet<String> = calendars.ids().into_iter().collect();
    let context = FlowContext {
        prompts: &available,
        calendars: &calendar_ids,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| ServeError::Invalid(format!("cannot read the flow folder {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut flows = BTreeMap::new();
    let mut problems = Vec::new();
    for path in paths {
        let origin = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{origin}: cannot read: {e}"));
                continue;
            }
        };
        match flow::parse(&origin, &text, &context) {
            Ok(flow) => {
                if flows.contains_key(&flow.id) {
                    problems.push(format!("{origin}: line 1: a second flow with id '{}'", flow.id));
                } else {
                    flows.insert(flow.id.clone(), Arc::new(flow));
                }
            }
            Err(invalid) => problems.push(invalid.to_string()),
        }
    }
    Ok((flows, problems))
}

/// The offices that take bookings: the shipped ones, then a folder's (replacing or adding by
/// id), then the revisions staff saved in the database. An office file that does not validate, or that names a calendar not loaded, stops the
/// start with every problem listed: a booking must never be taken against the wrong hours.
pub async fn offices(dir: Option<&Path>, store: &Store, calendars: &CalendarSet) -> Result<OfficeSet, ServeError> {
    let mut texts = crate::booking::directory::builtin();
    if let Some(dir) = dir {
        texts.extend(
            crate::booking::directory::read_dir(dir)
                .map_err(|e| ServeError::Invalid(format!("cannot read the office folder {}: {e}", dir.display())))?,
        );
    }
    // Changes staff made at run time come last: they are the newest word on an office.
    texts.extend(store.current_office_revisions().await?.into_iter().map(|rev| {
        crate::booking::directory::OfficeSource {
            origin: format!("database:{} revision {}", rev.office_id, rev.revision),
            text: rev.source,
        }
    }));
    let set = OfficeSet::default();
    let mut problems: Vec<String> = set
        .load_all(texts.iter().map(|s| (s.origin.as_str(), s.text.as_str())))
        .iter()
        .map(ToString::to_string)
        .collect();
    for office in set.snapshot().iter() {
        if calendars.get(&office.calendar).is_none() {
            problems.push(format!("office {}: no calendar '{}'", office.id, office.calendar));
        }
    }
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(ServeError::Invalid(format!(
            "office files that cannot be used:\n{}",
            problems.join("\n")
        )))
    }
}

/// The FAQ book: the shipped files of `dir` (`ID.md`; an entry whose id is not its file's name
/// is a problem), then every approved revision from the database, the newest of an entry
/// winning. Problems are returned, not fatal: the phones answer without a FAQ entry.
pub async fn faq_book(dir: &Path, store: &Store) -> Result<(crate::faq::Book, Vec<String>), ServeError> {
    let book = crate::faq::Book::default();
    let mut problems = Vec::new();
    let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .filter(|p| p.file_name().is_none_or(|n| n != "README.md"))
            .collect(),
        Err(e) => {
            problems.push(format!("cannot read the FAQ folder {}: {e}", dir.display()));
            Vec::new()
        }
    };
    files.sort();
    for path in files {
        let origin = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{origin}: {e}"));
                continue;
            }
        };
        match crate::faq::parse(&origin, &text) {
            Ok(entry) if path.file_stem().is_some_and(|stem| *stem == *entry.id) => book.put(entry),
            Ok(entry) => problems.push(format!("{origin}: the id '{}' is not the file's name", entry.id)),
            Err(e) => problems.push(e.to_string()),
        }
    }
    for revision in store.faq_revisions("approved", "").await? {
        let origin = format!("database:{} revision {}", revision.entry_id, revision.revision);
        match crate::faq::parse(&origin, &revision.source) {
            Ok(entry) => book.put(entry),
            Err(e) => problems.push(e.to_string()),
        }
    }
    Ok((book, problems))
}

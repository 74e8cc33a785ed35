//! Enums whose variants have a fixed name in the journal's rows and on the wire: one macro
//! writes the enum, its `as_str` and its `parse`, so a name is spelled once.

/// `named_enum! { /// doc  pub enum Side("side") { Caller = "caller", … } }`: the enum (Copy,
/// Eq, Hash, Debug), `Side::ALL`, `as_str`, `parse`, `Display` and serde by name (an unknown
/// name is refused as "unknown side 'x': one of caller, …").
macro_rules! named_enum {
    ($(#[$meta:meta])* pub enum $name:ident($what:literal) { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name in the journal's rows and on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&text).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    serde::de::Error::custom(format!("unknown {} '{text}': one of {}", $what, names.join(", ")))
                })
            }
        }
    };
}

pub(crate) use named_enum;

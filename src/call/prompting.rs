//! Prompts to the frames a trunk leg plays, in the leg's law. A prompt missing in the caller's
//! language falls back to the configured fallback language (then Japanese), is logged and
//! counted, and is never silence. Inbound calls and call-backs both play through here.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use tracing::warn;

use super::CallServices;
use crate::ivr::PromptPlay;
use crate::lang::Lang;
use crate::media::g711::Law;

/// The frames of a prompt, or `None` when no language has it.
pub fn frames(services: &CallServices, prompt: &PromptPlay, law: Law) -> Option<Arc<[Bytes]>> {
    let store = &services.prompts;
    if let Some(p) = store.get(prompt.lang, &prompt.id) {
        return Some(p.frames(law));
    }
    services.prompt_fallbacks.fetch_add(1, Ordering::Relaxed);
    for fallback in [services.settings.prompt_fallback, Lang::Ja] {
        if let Some(p) = store.get(fallback, &prompt.id) {
            warn!(prompt = %prompt.id, lang = %prompt.lang, %fallback, "prompt missing in this language: fallback");
            return Some(p.frames(law));
        }
    }
    warn!(prompt = %prompt.id, lang = %prompt.lang, "prompt missing in every language");
    None
}

/// The frames of several prompts, in order (those missing everywhere left out).
pub fn all_frames(services: &CallServices, prompts: &[PromptPlay], law: Law) -> Vec<Arc<[Bytes]>> {
    prompts.iter().filter_map(|p| frames(services, p, law)).collect()
}

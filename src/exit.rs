//! Exit codes (SPEC.md): 0 nothing at or above `--fail-on`, 1 findings at or
//! above it, 2 usage, configuration or fatal error. Files that could not be
//! read do not by themselves change 0 or 1, unless `--fail-on-errors` asks
//! for 1 then (a release gate must not pass an extract it could not read).

use crate::classify::Tier;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the threshold.
    Clean,
    /// Findings at or above the threshold.
    Findings,
    /// Usage, configuration or fatal error.
    Fatal,
}

impl Outcome {
    /// The outcome of a finished scan whose files' highest tier is `highest`.
    pub fn of_scan(highest: Option<Tier>, fail_on: Option<Tier>) -> Self {
        match (highest, fail_on) {
            (Some(h), Some(f)) if h >= f => Outcome::Findings,
            _ => Outcome::Clean,
        }
    }

    /// This outcome, made [`Outcome::Findings`] when `fail_on_errors` and
    /// `errors` files could not be read (or not to the end).
    pub fn with_errors(self, errors: usize, fail_on_errors: bool) -> Self {
        match self {
            Outcome::Clean if fail_on_errors && errors > 0 => Outcome::Findings,
            other => other,
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Fatal => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_thresholds() {
        use Tier::*;
        let t = [
            (None, Some(Core), 0),
            (Some(General), Some(Core), 0),
            (Some(Core), Some(Core), 1),
            (Some(General), Some(General), 1),
            (Some(Public), Some(General), 0),
            (Some(Public), Some(Public), 1),
            (Some(Core), None, 0),
        ];
        for (highest, fail_on, code) in t {
            assert_eq!(
                Outcome::of_scan(highest, fail_on).code(),
                code,
                "{highest:?} {fail_on:?}"
            );
        }
        assert_eq!(Outcome::Fatal.code(), 2);
    }

    #[test]
    fn errors_fail_only_when_asked() {
        assert_eq!(Outcome::Clean.with_errors(3, false), Outcome::Clean);
        assert_eq!(Outcome::Clean.with_errors(0, true), Outcome::Clean);
        assert_eq!(Outcome::Clean.with_errors(1, true), Outcome::Findings);
        assert_eq!(Outcome::Findings.with_errors(1, true), Outcome::Findings);
        assert_eq!(Outcome::Fatal.with_errors(1, true), Outcome::Fatal);
    }
}

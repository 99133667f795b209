//! Which lifecycle operation a provider-API path names (paths relative to the API
//! prefix, `/providers/{CALLER}/environments/{ENV}/...`).

/// A lifecycle resource a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/providers` (ListProviders).
    Providers,
    /// `/providers/{P}`.
    Provider(&'a str),
    /// `/providers/{CALLER}/environments`.
    Environments,
    /// `E`.
    Environment(&'a str),
    /// `E/interconnects`.
    Interconnects(&'a str),
    /// `X`.
    Interconnect(&'a str, &'a str),
    /// `X/channels`.
    Channels(&'a str, &'a str),
    /// `H`.
    Channel(&'a str, &'a str, &'a str),
    /// `X/connections`.
    Connections(&'a str, &'a str),
    /// `C`.
    Connection(&'a str, &'a str, &'a str),
    /// `C/GenerateFeatureGuidance`.
    Guidance(&'a str, &'a str, &'a str),
    /// `C/features`.
    Features(&'a str, &'a str, &'a str),
    /// `C/features/{F}`.
    Feature(&'a str, &'a str, &'a str, &'a str),
    /// `C/NotifyConnectionStatus`.
    Notify(&'a str, &'a str, &'a str),
}

impl Route<'_> {
    /// Whether it names a static resource (provider, environment, interconnect or
    /// channel, or a list of them).
    pub fn is_static(&self) -> bool {
        matches!(
            self,
            Route::Providers
                | Route::Provider(_)
                | Route::Environments
                | Route::Environment(_)
                | Route::Interconnects(_)
                | Route::Interconnect(..)
                | Route::Channels(..)
                | Route::Channel(..)
        )
    }
}

/// The caller the path names and the resource, or `None` for a path that is no
/// lifecycle resource. `parts` is the path split on `/` (leading empty part included).
pub fn parse<'a>(parts: &[&'a str]) -> Option<(Option<&'a str>, Route<'a>)> {
    Some(match parts {
        ["", "providers"] => (None, Route::Providers),
        ["", "providers", p] => (None, Route::Provider(p)),
        ["", "providers", c, "environments"] => (Some(*c), Route::Environments),
        ["", "providers", c, "environments", e] => (Some(*c), Route::Environment(e)),
        ["", "providers", c, "environments", e, "interconnects"] => {
            (Some(*c), Route::Interconnects(e))
        }
        ["", "providers", c, "environments", e, "interconnects", x] => {
            (Some(*c), Route::Interconnect(e, x))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "channels"] => {
            (Some(*c), Route::Channels(e, x))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "channels", h] => {
            (Some(*c), Route::Channel(e, x, h))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "connections"] => {
            (Some(*c), Route::Connections(e, x))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "connections", n] => {
            (Some(*c), Route::Connection(e, x, n))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "connections", n, "GenerateFeatureGuidance"] => {
            (Some(*c), Route::Guidance(e, x, n))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "connections", n, "NotifyConnectionStatus"] => {
            (Some(*c), Route::Notify(e, x, n))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "connections", n, "features"] => {
            (Some(*c), Route::Features(e, x, n))
        }
        ["", "providers", c, "environments", e, "interconnects", x, "connections", n, "features", f] => {
            (Some(*c), Route::Feature(e, x, n, f))
        }
        _ => return None,
    })
    .filter(|(_, r)| !matches!(r, Route::Provider("") | Route::Environment("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(path: &str) -> Option<(Option<&str>, Route<'_>)> {
        let parts: Vec<&str> = path.split('/').collect();
        parse(&parts)
    }

    #[test]
    fn paths_name_their_resource_and_caller() {
        assert_eq!(of("/providers/a"), Some((None, Route::Provider("a"))));
        assert_eq!(of("/providers"), Some((None, Route::Providers)));
        assert_eq!(
            of("/providers/b/environments/e/interconnects/x/connections/u"),
            Some((Some("b"), Route::Connection("e", "x", "u")))
        );
        assert_eq!(
            of("/providers/b/environments/e/interconnects/x/channels/lag-7"),
            Some((Some("b"), Route::Channel("e", "x", "lag-7")))
        );
        assert_eq!(
            of("/providers/b/environments/e/interconnects/x/connections/u/features/f1"),
            Some((Some("b"), Route::Feature("e", "x", "u", "f1")))
        );
        assert_eq!(
            of("/providers/b/environments/e/interconnects/x/connections/u/GenerateFeatureGuidance"),
            Some((Some("b"), Route::Guidance("e", "x", "u")))
        );
        assert_eq!(
            of("/providers/b/environments/e/interconnects/x/connections/u/NotifyConnectionStatus"),
            Some((Some("b"), Route::Notify("e", "x", "u")))
        );
        assert_eq!(of("/providers/b/environments/e/ConfirmActivationKey"), None);
        assert_eq!(
            of("/providers/b/environments/e/interconnects/x/other"),
            None
        );
    }
}

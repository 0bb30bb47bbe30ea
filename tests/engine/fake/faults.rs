//! What can go wrong between a client and the fake: a [`FaultPlan`] says which request meets
//! which [`Fault`], by script (the next matching request, or the n-th) or at random (seeded, so
//! a failing run can be replayed). The [proxy](super::proxy) in front of the fake applies it.

use std::collections::VecDeque;
use std::time::Duration;

/// Whether a fault strikes before the fake sees the request or after it has acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The request never reaches the fake (nothing happened at "Alpaca").
    Before,
    /// The fake acts on the request (an order is placed), then the answer goes wrong.
    After,
}

/// One thing that goes wrong with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection is closed without an answer.
    Reset(When),
    /// The answer is this status (a 5xx, say) with an HTML error page.
    Status(u16, When),
    /// The answer is held back past the client's timeout ([`FaultPlan::stall`]).
    Stall(When),
    /// The fake's answer, with the connection dropped halfway through its body.
    TruncatedBody,
    /// A complete 200 whose JSON is cut in half.
    TruncatedJson,
    /// A complete 200 with an HTML page instead of JSON.
    NotJson,
    /// 429 with these `Retry-After` and `X-RateLimit-Reset` values (nothing is acted on).
    RateLimited {
        /// `Retry-After` header value.
        retry_after: &'static str,
        /// `X-RateLimit-Reset` header value.
        reset: &'static str,
    },
    /// A redirect (301, 302, 307, 308) to the same path on this host, or on another host
    /// ([`super::Fake::elsewhere`]) that must never see a request.
    Redirect {
        /// 3xx status.
        status: u16,
        /// Send the client to the other host.
        elsewhere: bool,
        /// Before or after the fake acted on the request.
        when: When,
    },
    /// The client process ([`FaultPlan::victim`]) is killed with SIGKILL while its request is
    /// in flight; the request is then dropped ([`When::Before`]) or acted on ([`When::After`]).
    KillClient(When),
    /// The client process ([`FaultPlan::victim`]) is stopped with SIGSTOP while its request is
    /// in flight (the test resumes it later); the request is then dropped or acted on.
    PauseClient(When),
}

impl Fault {
    /// Whether the fake acts on the request.
    pub fn forwards(self) -> bool {
        match self {
            Fault::Reset(w)
            | Fault::Status(_, w)
            | Fault::Stall(w)
            | Fault::KillClient(w)
            | Fault::PauseClient(w) => w == When::After,
            Fault::Redirect { when, .. } => when == When::After,
            Fault::TruncatedBody | Fault::TruncatedJson | Fault::NotJson => true,
            Fault::RateLimited { .. } => false,
        }
    }

    /// Every fault a random plan can draw (all but killing the client): the transport-level
    /// menu of the chaos scenarios.
    pub fn menu() -> Vec<Fault> {
        use When::*;
        vec![
            Fault::Redirect {
                status: 307,
                elsewhere: false,
                when: After,
            },
            Fault::Redirect {
                status: 302,
                elsewhere: true,
                when: Before,
            },
            Fault::RateLimited {
                retry_after: "1e300",
                reset: "99999999999999999999",
            },
            Fault::Reset(Before),
            Fault::Reset(After),
            Fault::Status(500, Before),
            Fault::Status(502, After),
            Fault::Status(503, Before),
            Fault::Status(504, After),
            Fault::Stall(Before),
            Fault::Stall(After),
            Fault::TruncatedBody,
            Fault::TruncatedJson,
            Fault::NotJson,
            Fault::RateLimited {
                retry_after: "0",
                reset: "0",
            },
        ]
    }
}

/// Which requests a scripted or random fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// `POST /v2/orders`.
    Submit,
    /// `GET /v2/orders:by_client_order_id`.
    Lookup,
    /// `GET /v2/orders/{id}`.
    OrderById,
    /// Every GET.
    Get,
    /// One method and exact path.
    Route(&'static str, &'static str),
}

impl Target {
    /// Whether a request with `method` and `path` is one of these.
    pub fn matches(self, method: &str, path: &str) -> bool {
        match self {
            Target::Any => true,
            Target::Submit => method == "POST" && path == "/v2/orders",
            Target::Lookup => method == "GET" && path == "/v2/orders:by_client_order_id",
            Target::OrderById => {
                method == "GET"
                    && path
                        .strip_prefix("/v2/orders/")
                        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
            }
            Target::Get => method == "GET",
            Target::Route(m, p) => method == m && path == p,
        }
    }
}

#[derive(Debug)]
struct Step {
    target: Target,
    /// Matching requests to let through before this one strikes.
    skip: u32,
    fault: Fault,
}

#[derive(Debug)]
struct Random {
    rng: fastrand::Rng,
    rate: f64,
    target: Target,
    menu: Vec<Fault>,
}

/// A fault injected, for the test's report: `(method, path, fault)`.
pub type Injected = (String, String, Fault);

/// Which requests go wrong, and how.
///
/// Scripted steps are taken in order: a request is checked against the first step whose target
/// it matches only. Random faults apply to requests no step claimed.
#[derive(Debug)]
pub struct FaultPlan {
    script: VecDeque<Step>,
    random: Option<Random>,
    /// How long [`Fault::Stall`] holds a request (longer than the fake's client timeout).
    pub stall: Duration,
    /// The process [`Fault::KillClient`] kills (and [`Fault::PauseClient`] stops).
    pub victim: Option<u32>,
    /// When the last [`Fault::KillClient`] or [`Fault::PauseClient`] struck.
    pub struck_at: Option<std::time::Instant>,
    /// Every order submit that reached the proxy: when, the client's `User-Agent`, and the
    /// order's client order id.
    pub posts: Vec<(std::time::Instant, String, String)>,
    /// Every fault injected so far, oldest first.
    pub injected: Vec<Injected>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            script: VecDeque::new(),
            random: None,
            stall: Duration::from_millis(1500),
            victim: None,
            struck_at: None,
            posts: Vec::new(),
            injected: Vec::new(),
        }
    }
}

impl FaultPlan {
    /// The next request matching `target` meets `fault`.
    pub fn then(&mut self, target: Target, fault: Fault) -> &mut Self {
        self.nth(target, 1, fault)
    }

    /// The `n`-th (1-based) request matching `target` from now meets `fault`.
    pub fn nth(&mut self, target: Target, n: u32, fault: Fault) -> &mut Self {
        self.script.push_back(Step {
            target,
            skip: n.saturating_sub(1),
            fault,
        });
        self
    }

    /// Each request matching `target` meets a fault from `menu` with probability `rate`, drawn
    /// from a generator seeded with `seed`.
    pub fn random(&mut self, seed: u64, rate: f64, target: Target, menu: Vec<Fault>) -> &mut Self {
        self.random = Some(Random {
            rng: fastrand::Rng::with_seed(seed),
            rate,
            target,
            menu,
        });
        self
    }

    /// Stops injecting: clears the script and the random faults.
    pub fn clear(&mut self) {
        self.script.clear();
        self.random = None;
    }

    /// Drops the scripted steps not yet taken (the random faults go on).
    pub fn clear_script(&mut self) {
        self.script.clear();
    }

    /// Scripted steps not yet taken.
    pub fn pending(&self) -> usize {
        self.script.len()
    }

    /// The fault for this request, if any (and records it).
    pub fn draw(&mut self, method: &str, path: &str) -> Option<Fault> {
        let fault = self.scripted(method, path).or_else(|| {
            let r = self.random.as_mut()?;
            if !r.target.matches(method, path) || r.menu.is_empty() || r.rng.f64() >= r.rate {
                return None;
            }
            Some(r.menu[r.rng.usize(..r.menu.len())])
        })?;
        self.injected
            .push((method.to_owned(), path.to_owned(), fault));
        Some(fault)
    }

    fn scripted(&mut self, method: &str, path: &str) -> Option<Fault> {
        let i = self
            .script
            .iter()
            .position(|s| s.target.matches(method, path))?;
        let step = &mut self.script[i];
        if step.skip > 0 {
            step.skip -= 1;
            return None;
        }
        self.script.remove(i).map(|s| s.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_steps_strike_their_target_in_order() {
        let mut p = FaultPlan::default();
        p.then(Target::Submit, Fault::Reset(When::After))
            .nth(Target::Lookup, 2, Fault::NotJson);
        assert_eq!(p.draw("GET", "/v2/clock"), None);
        assert_eq!(
            p.draw("POST", "/v2/orders"),
            Some(Fault::Reset(When::After))
        );
        assert_eq!(p.draw("GET", "/v2/orders:by_client_order_id"), None);
        assert_eq!(
            p.draw("GET", "/v2/orders:by_client_order_id"),
            Some(Fault::NotJson)
        );
        assert_eq!(p.pending(), 0);
        assert_eq!(p.injected.len(), 2);
    }

    #[test]
    fn random_faults_replay_from_their_seed() {
        let run = || {
            let mut p = FaultPlan::default();
            p.random(7, 0.5, Target::Any, Fault::menu());
            (0..200)
                .map(|_| p.draw("GET", "/v2/account"))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|f| f.is_some()).count();
        assert!((60..140).contains(&hits), "{hits} of 200 at rate 0.5");
    }
}

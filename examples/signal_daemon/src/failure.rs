//! How a command fails: because the operator's setup is incomplete (an invalid configuration, a
//! missing key: exit status 2), or because something went wrong while it ran (exit status 1).
//! Under systemd, `RestartPreventExitStatus=2` then keeps a broken environment file from
//! restarting in a loop, while `Restart=on-failure` still restarts after a crash.

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The configuration or the environment must be fixed first.
    Setup(String),
    /// The command ran and failed.
    Run(String),
}

impl Failure {
    /// The process exit status.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Setup(_) => 2,
            Failure::Run(_) => 1,
        }
    }

    /// What to print.
    pub fn message(&self) -> &str {
        match self {
            Failure::Setup(m) | Failure::Run(m) => m,
        }
    }
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Run(e)
    }
}

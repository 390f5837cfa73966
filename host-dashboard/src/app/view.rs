//! The views (tabs) of the dashboard and the panes of each that navigation
//! keys act on.

/// What the screen shows: one tab of the dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Processes, the selected one's regions, the log.
    #[default]
    Processes,
    /// Process events: subscribers, the event flow, the log.
    Events,
    /// The log across the whole screen.
    Log,
    /// Link health, the guest and what needs attention.
    Link,
    /// System-wide history charts and the subscribers' latency
    /// distributions.
    Charts,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 5] = [
        View::Processes,
        View::Events,
        View::Log,
        View::Link,
        View::Charts,
    ];

    /// Its tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Processes => "Processes",
            View::Events => "Events",
            View::Log => "Log",
            View::Link => "Link",
            View::Charts => "Charts",
        }
    }

    /// The key that shows it.
    pub fn key(self) -> char {
        match self {
            View::Processes => '1',
            View::Events => '2',
            View::Log => '3',
            View::Link => '4',
            View::Charts => '5',
        }
    }

    /// Its panes navigation keys can act on, in Tab order.
    pub fn panes(self) -> &'static [Pane] {
        match self {
            View::Processes => &[Pane::Processes, Pane::Log],
            View::Events => &[Pane::Events, Pane::Log],
            View::Log | View::Link => &[Pane::Log],
            View::Charts => &[Pane::Subscribers],
        }
    }

    /// The next view in tab order.
    pub fn next(self) -> Self {
        let index = View::ALL.iter().position(|&view| view == self).unwrap_or(0);
        View::ALL[(index + 1) % View::ALL.len()]
    }

    /// The previous view in tab order.
    pub fn previous(self) -> Self {
        let index = View::ALL.iter().position(|&view| view == self).unwrap_or(0);
        View::ALL[(index + View::ALL.len() - 1) % View::ALL.len()]
    }
}

/// A pane that navigation keys can act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pane {
    /// The process table: keys move the selection.
    #[default]
    Processes,
    /// The event list: keys move the selection.
    Events,
    /// The log: keys scroll it.
    Log,
    /// The subscribers of the charts view: keys pick the one whose latency
    /// distribution is drawn.
    Subscribers,
}

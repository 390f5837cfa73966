//! How the process table orders and narrows its rows: the sort column and
//! direction, the filter (parsed from what the user typed after `/`), and
//! the tree order by parent.
//!
//! Everything here is pure: rows in, rows out, so it is tested without a
//! screen.

use crate::state::{Process, process_state_name};
use protocol::message::ProcessState;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A column the table can be sorted on, in the table's column order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortColumn {
    /// Process id.
    #[default]
    Pid,
    /// Parent's pid.
    Parent,
    /// Program name.
    Name,
    /// State name.
    State,
    /// CPU time.
    Cpu,
    /// CPU share over the rate window.
    CpuPercent,
    /// Pages attached now.
    Vm,
    /// Minor faults.
    Minor,
    /// Minor faults per second.
    MinorRate,
    /// Major faults.
    Major,
    /// Major faults per second.
    MajorRate,
}

impl SortColumn {
    /// Every column, in table order.
    pub const ALL: [SortColumn; 11] = [
        SortColumn::Pid,
        SortColumn::Parent,
        SortColumn::Name,
        SortColumn::State,
        SortColumn::Cpu,
        SortColumn::CpuPercent,
        SortColumn::Vm,
        SortColumn::Minor,
        SortColumn::MinorRate,
        SortColumn::Major,
        SortColumn::MajorRate,
    ];

    /// Its index among the table's columns.
    pub fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|&column| column == self)
            .unwrap_or(0)
    }

    /// The next column (wrapping); `back` for the previous one.
    pub fn cycled(self, back: bool) -> Self {
        let count = Self::ALL.len();
        let step = if back { count - 1 } else { 1 };
        Self::ALL[(self.index() + step) % count]
    }

    fn compare(self, a: &Process, b: &Process) -> Ordering {
        let float = |x: f64, y: f64| x.total_cmp(&y);
        match self {
            SortColumn::Pid => a.pid.cmp(&b.pid),
            SortColumn::Parent => a.parent.cmp(&b.parent),
            SortColumn::Name => a.name.cmp(&b.name),
            SortColumn::State => process_state_name(a.state).cmp(&process_state_name(b.state)),
            SortColumn::Cpu => a.cpu_ns.cmp(&b.cpu_ns),
            SortColumn::CpuPercent => float(a.cpu_percent(), b.cpu_percent()),
            SortColumn::Vm => a.vm.vm_total_pages.cmp(&b.vm.vm_total_pages),
            SortColumn::Minor => a.vm.minor_faults.cmp(&b.vm.minor_faults),
            SortColumn::MinorRate => {
                float(a.minor_faults_per_second(), b.minor_faults_per_second())
            }
            SortColumn::Major => a.vm.major_faults.cmp(&b.vm.major_faults),
            SortColumn::MajorRate => {
                float(a.major_faults_per_second(), b.major_faults_per_second())
            }
        }
    }
}

/// The sort order of the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub column: SortColumn,
    /// Largest first.
    pub descending: bool,
}

impl Sort {
    /// Sorts `rows` by the column (ties by pid, always ascending), stable.
    pub fn apply(self, rows: &mut [&Process]) {
        rows.sort_by(|a, b| {
            let order = self.column.compare(a, b);
            let order = if self.descending {
                order.reverse()
            } else {
                order
            };
            order.then(a.pid.cmp(&b.pid))
        });
    }
}

/// A numeric field a filter condition can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Pid,
    Parent,
    Cpu,
    Vm,
    Minor,
    Major,
}

impl Field {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "pid" => Field::Pid,
            "ppid" | "parent" => Field::Parent,
            "cpu" => Field::Cpu,
            "vm" => Field::Vm,
            "minor" => Field::Minor,
            "major" => Field::Major,
            _ => return None,
        })
    }

    /// The value of the field (CPU time in milliseconds).
    fn value(self, process: &Process) -> u64 {
        match self {
            Field::Pid => u64::from(process.pid),
            Field::Parent => u64::from(process.parent),
            Field::Cpu => process.cpu_ns / 1_000_000,
            Field::Vm => process.vm.vm_total_pages,
            Field::Minor => process.vm.minor_faults,
            Field::Major => process.vm.major_faults,
        }
    }
}

/// A comparison in a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn holds(self, order: Ordering) -> bool {
        match self {
            Op::Eq => order == Ordering::Equal,
            Op::Ne => order != Ordering::Equal,
            Op::Lt => order == Ordering::Less,
            Op::Le => order != Ordering::Greater,
            Op::Gt => order == Ordering::Greater,
            Op::Ge => order != Ordering::Less,
        }
    }
}

/// One term of a filter.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    /// The name contains this (lower case).
    Name(String),
    /// The state is this one (or, for `blocked`, any blocked state).
    State { wanted: String, negated: bool },
    /// A numeric condition.
    Number { field: Field, op: Op, value: u64 },
}

/// States a process waits in: what `state=blocked` matches.
fn is_blocked(state: ProcessState) -> bool {
    !matches!(
        state,
        ProcessState::Running
            | ProcessState::Ready
            | ProcessState::Stopped
            | ProcessState::Exiting
            | ProcessState::Zombie
    )
}

impl Term {
    fn matches(&self, process: &Process) -> bool {
        match self {
            Term::Name(text) => process.name.to_lowercase().contains(text.as_str()),
            Term::State { wanted, negated } => {
                let name = process_state_name(process.state);
                let hit = if wanted == "blocked" {
                    is_blocked(process.state)
                } else {
                    name == wanted.as_str() || name.replace(' ', "") == wanted.replace(' ', "")
                };
                hit != *negated
            }
            Term::Number { field, op, value } => op.holds(field.value(process).cmp(value)),
        }
    }
}

/// A filter: terms that must all hold. The empty filter shows every row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    text: String,
    terms: Vec<Term>,
}

/// Why a filter could not be read: the term and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// The term as typed.
    pub term: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.term, self.reason)
    }
}

/// Splits `term` into field, operator and value, if it has an operator.
fn split_condition(term: &str) -> Option<(&str, Op, &str)> {
    const OPS: [(&str, Op); 7] = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("!=", Op::Ne),
        ("==", Op::Eq),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];
    let at = term.find(['=', '<', '>', '!'])?;
    let (field, rest) = term.split_at(at);
    OPS.iter()
        .find(|(text, _)| rest.starts_with(text))
        .map(|&(text, op)| (field, op, &rest[text.len()..]))
}

impl Filter {
    /// Reads a filter: whitespace-separated terms, all of which must hold.
    /// A plain word matches the name (case-insensitive); `pid=12`,
    /// `state=blocked`, `major>0`, `minor>=10`, `vm>100`, `cpu>5` (ms),
    /// `ppid=1`, `name=work` are conditions.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let mut terms = Vec::new();
        for raw in text.split_whitespace() {
            let error = |reason: &str| FilterError {
                term: raw.to_string(),
                reason: reason.to_string(),
            };
            let lower = raw.to_lowercase();
            let Some((field, op, value)) = split_condition(&lower) else {
                terms.push(Term::Name(lower));
                continue;
            };
            if value.is_empty() {
                return Err(error("a value is missing after the comparison"));
            }
            let term = match field {
                "name" if op == Op::Eq => Term::Name(value.to_string()),
                "state" if matches!(op, Op::Eq | Op::Ne) => Term::State {
                    wanted: value.to_string(),
                    negated: op == Op::Ne,
                },
                "name" | "state" => return Err(error("only = and != compare text")),
                "" => return Err(error("a field name is missing before the comparison")),
                _ => {
                    let field = Field::named(field).ok_or_else(|| {
                        error("unknown field (pid ppid name state cpu vm minor major)")
                    })?;
                    let value = value
                        .parse()
                        .map_err(|_| error("the value is not a whole number"))?;
                    Term::Number { field, op, value }
                }
            };
            terms.push(term);
        }
        Ok(Self {
            text: text.trim().to_string(),
            terms,
        })
    }

    /// Whether `process` passes every term.
    pub fn matches(&self, process: &Process) -> bool {
        self.terms.iter().all(|term| term.matches(process))
    }

    /// Whether it lets every row through.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The filter as typed.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `rows` (in their sort order) as a tree by parent: each process followed
/// by its children (in the same order), depth first, with its depth. A
/// process whose parent is not among `rows` is a root. Every row appears
/// exactly once, whatever the parent links say (a cycle is broken at the
/// first process of it met).
pub fn tree_order<'a>(rows: &[&'a Process]) -> Vec<(&'a Process, usize)> {
    let pids: BTreeSet<u32> = rows.iter().map(|process| process.pid).collect();
    let mut children: BTreeMap<u32, Vec<&'a Process>> = BTreeMap::new();
    for &process in rows {
        children.entry(process.parent).or_default().push(process);
    }
    let mut placed = BTreeSet::new();
    let mut out = Vec::with_capacity(rows.len());
    let roots = rows
        .iter()
        .filter(|process| process.parent == process.pid || !pids.contains(&process.parent));
    // Roots first, then whatever a cycle left unplaced.
    for &start in roots.chain(rows.iter()) {
        let mut stack = vec![(start, 0)];
        while let Some((process, depth)) = stack.pop() {
            if !placed.insert(process.pid) {
                continue;
            }
            out.push((process, depth));
            if let Some(kids) = children.get(&process.pid) {
                for &kid in kids.iter().rev() {
                    if !placed.contains(&kid.pid) {
                        stack.push((kid, depth + 1));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::{ProcessSnapshot, VmCounters};

    fn process(pid: u32, parent: u32, name: &str, state: ProcessState, major: u64) -> Process {
        let snapshot = ProcessSnapshot {
            round: 1,
            pid,
            parent,
            name: name.to_string(),
            state,
            privileged: false,
            cpu_ns: u64::from(pid) * 1_000_000,
            vm: VmCounters {
                vm_total_pages: u64::from(pid) * 10,
                major_faults: major,
                minor_faults: 100 - u64::from(pid),
                vm_total_max_pages: u64::from(pid) * 10,
            },
            regions: 0,
        };
        Process::listed(snapshot, 0, 0)
    }

    fn system() -> Vec<Process> {
        vec![
            process(1, 0, "init", ProcessState::WaitingForChild, 0),
            process(2, 0, "ipc", ProcessState::Receiving, 0),
            process(3, 1, "worker", ProcessState::Sleeping, 4),
            process(4, 1, "forker", ProcessState::Ready, 0),
            process(5, 4, "worker", ProcessState::Running, 1),
            process(12, 5, "spinner", ProcessState::Running, 0),
        ]
    }

    fn pids(rows: &[&Process]) -> Vec<u32> {
        rows.iter().map(|process| process.pid).collect()
    }

    fn filtered(text: &str) -> Vec<u32> {
        let filter = Filter::parse(text).unwrap();
        let processes = system();
        let rows: Vec<&Process> = processes.iter().filter(|p| filter.matches(p)).collect();
        pids(&rows)
    }

    #[test]
    fn sorting_on_every_column_both_ways() {
        let processes = system();
        let mut rows: Vec<&Process> = processes.iter().collect();
        let mut sort = Sort {
            column: SortColumn::Name,
            descending: false,
        };
        sort.apply(&mut rows);
        // Equal names keep pid order.
        assert_eq!(pids(&rows), [4, 1, 2, 12, 3, 5]);
        sort.descending = true;
        sort.apply(&mut rows);
        assert_eq!(pids(&rows), [3, 5, 12, 2, 1, 4]);
        sort = Sort {
            column: SortColumn::Major,
            descending: true,
        };
        sort.apply(&mut rows);
        assert_eq!(pids(&rows), [3, 5, 1, 2, 4, 12]);
        sort.column = SortColumn::Minor;
        sort.descending = false;
        sort.apply(&mut rows);
        assert_eq!(pids(&rows), [12, 5, 4, 3, 2, 1]);
        // Every column sorts without panicking and keeps every row.
        for column in SortColumn::ALL {
            for descending in [false, true] {
                Sort { column, descending }.apply(&mut rows);
                assert_eq!(rows.len(), 6);
            }
        }
    }

    #[test]
    fn the_sort_column_cycles_both_ways() {
        assert_eq!(SortColumn::Pid.cycled(false), SortColumn::Parent);
        assert_eq!(SortColumn::Pid.cycled(true), SortColumn::MajorRate);
        assert_eq!(SortColumn::MajorRate.cycled(false), SortColumn::Pid);
        assert_eq!(SortColumn::Vm.index(), 6);
    }

    #[test]
    fn filters_by_name_pid_state_and_numbers() {
        assert_eq!(filtered(""), [1, 2, 3, 4, 5, 12]);
        assert_eq!(filtered("work"), [3, 5]);
        assert_eq!(filtered("WORK"), [3, 5]);
        assert_eq!(filtered("pid=12"), [12]);
        assert_eq!(filtered("state=blocked"), [1, 2, 3]);
        assert_eq!(filtered("state=running"), [5, 12]);
        assert_eq!(filtered("state!=running"), [1, 2, 3, 4]);
        assert_eq!(filtered("major>0"), [3, 5]);
        assert_eq!(filtered("minor>=96"), [1, 2, 3, 4]);
        assert_eq!(filtered("vm>100"), [12]);
        assert_eq!(filtered("ppid=1"), [3, 4]);
        assert_eq!(filtered("cpu<3"), [1, 2]);
        // Several terms: all must hold.
        assert_eq!(filtered("worker major>1"), [3]);
        assert_eq!(filtered("name=in state=waiting"), [1]);
    }

    #[test]
    fn a_bad_condition_is_an_error_naming_the_term() {
        let error = Filter::parse("worker size>3").unwrap_err();
        assert_eq!(error.term, "size>3");
        assert!(error.reason.contains("unknown field"), "{error}");
        assert!(
            Filter::parse("major>x")
                .unwrap_err()
                .reason
                .contains("whole number")
        );
        assert!(
            Filter::parse("major>")
                .unwrap_err()
                .reason
                .contains("missing")
        );
        assert!(Filter::parse(">3").unwrap_err().reason.contains("field"));
        assert!(Filter::parse("name>a").unwrap_err().reason.contains("text"));
    }

    #[test]
    fn the_tree_puts_children_under_their_parents() {
        let processes = system();
        let rows: Vec<&Process> = processes.iter().collect();
        let tree: Vec<(u32, usize)> = tree_order(&rows)
            .into_iter()
            .map(|(process, depth)| (process.pid, depth))
            .collect();
        assert_eq!(tree, [(1, 0), (3, 1), (4, 1), (5, 2), (12, 3), (2, 0)]);
        // A filtered table: a process whose parent is hidden is a root.
        let rows: Vec<&Process> = processes.iter().filter(|p| p.pid != 4).collect();
        let tree: Vec<u32> = tree_order(&rows).iter().map(|(p, _)| p.pid).collect();
        assert_eq!(tree, [1, 3, 2, 5, 12]);
    }

    #[test]
    fn a_parent_cycle_still_shows_every_row_once() {
        let processes = [
            process(7, 8, "a", ProcessState::Ready, 0),
            process(8, 7, "b", ProcessState::Ready, 0),
            process(9, 9, "self", ProcessState::Ready, 0),
        ];
        let rows: Vec<&Process> = processes.iter().collect();
        let tree: Vec<(u32, usize)> = tree_order(&rows)
            .into_iter()
            .map(|(process, depth)| (process.pid, depth))
            .collect();
        assert_eq!(tree, [(9, 0), (7, 0), (8, 1)]);
    }
}

"""gdb helpers for the watchtower kernel (`--gdb` prints the command that
loads this file; docs/debugging.md).

Commands:
  wt-current        the process running now (pid, name, state, counters)
  wt-processes      every process in the table
  wt-regions [PID]  a process's regions (default: the current one)

They read the kernel's statics (kernel::process::CURRENT,
kernel::process::TABLE) with the Rust pretty printers of the active
toolchain, which this file loads (`rustc --print sysroot`). The release
kernel keeps full debug information for this (`[profile.release.package.os]`
in the workspace manifest).
"""

import os
import re
import subprocess
import sys

import gdb


def _load_rust_printers():
    try:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        sysroot = subprocess.run(
            ["rustc", "--print", "sysroot"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return False
    etc = os.path.join(sysroot, "lib", "rustlib", "etc")
    if etc not in sys.path:
        sys.path.append(etc)
    try:
        import gdb_lookup  # noqa: E402
    except ImportError:
        return False
    gdb_lookup.register_printers(gdb.current_progspace())
    return True


_PRINTERS = _load_rust_printers()


def _field(value, name):
    """The field `name` of `value`, looking through wrappers (locks,
    cells, atomics: single fields such as inner, data, value, v) and
    pointers (a Box)."""
    for _ in range(8):
        type_ = value.type.strip_typedefs()
        if type_.code == gdb.TYPE_CODE_PTR:
            # A Box (the process table boxes its entries) shows as a pointer.
            value = value.dereference()
            continue
        names = [f.name for f in type_.fields()]
        if name in names:
            return value[name]
        for wrapper in ("inner", "data", "value", "v", "__0"):
            if wrapper in names:
                value = value[wrapper]
                break
        else:
            raise gdb.GdbError("no field %r in %s (fields: %s)" % (name, type_, names))
    raise gdb.GdbError("no field %r" % name)


def _unwrap(value):
    """A scalar inside wrappers (an AtomicU32's number, say)."""
    for _ in range(8):
        type_ = value.type.strip_typedefs()
        if type_.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM):
            return value
        fields = type_.fields()
        if len(fields) != 1:
            return value
        value = value[fields[0]]
    return value


def _map_items(value):
    """The (key, value) pairs of a BTreeMap, through the Rust printers."""
    printer = gdb.default_visualizer(value)
    if printer is None:
        raise gdb.GdbError("no Rust pretty printer for %s (is rustc on PATH?)" % value.type)
    children = [child for _, child in printer.children()]
    return list(zip(children[0::2], children[1::2]))


def _text(value):
    """A Rust String or &str as Python text."""
    printer = gdb.default_visualizer(value)
    if printer is None:
        return str(value)
    text = printer.to_string()
    if hasattr(text, "value") and hasattr(text, "length"):  # a gdb lazy string
        text = text.value().string(length=text.length)
    return str(text).strip('"')


def _variant(value):
    """An enum value's variant name: `Anonymous` for
    `kernel_core::vm::region::Backing::Anonymous`, `File` for
    `...::File{file: ...}`."""
    head = re.split(r"[ ({]", str(value), maxsplit=1)[0]
    return head.split("::")[-1]


class _Rust:
    """Evaluates and prints in Rust, also when stopped in a C frame (a C
    program); the language is restored after."""

    def __enter__(self):
        self.previous = gdb.parameter("language") or "auto"
        gdb.execute("set language rust", to_string=True)

    def __exit__(self, *exception):
        gdb.execute("set language %s" % self.previous, to_string=True)
        return False


def _eval(expression):
    return gdb.parse_and_eval(expression)


def current_pid():
    return int(_unwrap(_eval("kernel::process::CURRENT")))


def processes():
    table = _field(_eval("kernel::process::TABLE"), "processes")
    return [(int(_unwrap(pid)), process) for pid, process in _map_items(table)]


def _describe(pid, process):
    stats = _field(_field(process, "vm"), "stats")
    parts = ["pid %d" % pid, "name %s" % _text(process["name"]),
             "parent %d" % int(_unwrap(process["parent"])),
             "state %s" % _variant(process["state"])]
    for counter in ("minor_faults", "major_faults"):
        try:
            parts.append("%s %d" % (counter, int(_unwrap(_field(stats, counter)))))
        except gdb.GdbError:
            pass
    return ", ".join(parts)


class Current(gdb.Command):
    """The process running now: pid, name, parent, state, fault counters.
    (pid 0 is the idle loop.)"""

    def __init__(self):
        super().__init__("wt-current", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        with _Rust():
            self.show()

    def show(self):
        pid = current_pid()
        for each, process in processes():
            if each == pid:
                print(_describe(each, process))
                return
        print("pid %d (the idle loop or a process being set up)" % pid)


class Processes(gdb.Command):
    """Every process in the kernel's table."""

    def __init__(self):
        super().__init__("wt-processes", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        with _Rust():
            self.show()

    def show(self):
        current = current_pid()
        for pid, process in processes():
            print(("* " if pid == current else "  ") + _describe(pid, process))


class Regions(gdb.Command):
    """wt-regions [PID]: the regions of a process (default: the current
    one): start, end, permissions, kind, backing, resident or swapped
    pages."""

    def __init__(self):
        super().__init__("wt-regions", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        with _Rust():
            self.show(argument)

    def show(self, argument):
        pid = int(argument, 0) if argument.strip() else current_pid()
        for each, process in processes():
            if each != pid:
                continue
            regions = _field(_field(process, "vm"), "regions")
            print("pid %d (%s):" % (pid, _text(process["name"])))
            for _, region in _map_items(regions):
                perms = region["perms"]
                flags = "".join(
                    letter if bool(_unwrap(perms[name])) else "-"
                    for letter, name in (("r", "read"), ("w", "write"), ("x", "execute"))
                )
                pages = len(_map_items(region["pages"]))
                print("  %#014x-%#014x %s %-6s %-10s %d pages" % (
                    int(region["start"]), int(region["end"]), flags,
                    _variant(region["kind"]),
                    _variant(region["backing"]),
                    pages))
            return
        raise gdb.GdbError("no process %d" % pid)


Current()
Processes()
Regions()

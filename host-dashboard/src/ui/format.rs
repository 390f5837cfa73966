//! Number formatting for the screen: durations, sizes, rates.

use std::time::Duration;

/// Guest uptime as `H:MM:SS.t`.
pub fn uptime(nanoseconds: u64) -> String {
    let tenths = nanoseconds / 100_000_000;
    let (hours, rest) = (tenths / 36_000, tenths % 36_000);
    let (minutes, rest) = (rest / 600, rest % 600);
    format!("{hours}:{minutes:02}:{:02}.{}", rest / 10, rest % 10)
}

/// A guest timestamp in microseconds as seconds with millisecond precision.
pub fn guest_seconds(microseconds: u64) -> String {
    format!(
        "{}.{:03}",
        microseconds / 1_000_000,
        microseconds / 1_000 % 1_000
    )
}

/// A host duration as seconds with one decimal: `2.5 s`.
pub fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// A byte count with a binary unit: `512 B`, `4.5 KiB`, `1.2 MiB`.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A per-second rate with one decimal.
pub fn rate(per_second: f64) -> String {
    format!("{per_second:.1}")
}

/// A byte rate with a binary unit: `230 B/s`, `1.5 KiB/s`.
pub fn bytes_rate(per_second: f64) -> String {
    format!("{}/s", bytes(per_second.round() as u64))
}

/// A frequency in Hz as GHz or MHz: `2.000 GHz`.
pub fn frequency(hertz: u64) -> String {
    if hertz >= 1_000_000_000 {
        format!("{:.3} GHz", hertz as f64 / 1e9)
    } else {
        format!("{:.1} MHz", hertz as f64 / 1e6)
    }
}

/// CPU time: `0.4ms` under 10 ms, `250ms` under a second, `2.25s` under a
/// minute, `12:03.4` under an hour, then `1:02:03`.
pub fn cpu_time(nanoseconds: u64) -> String {
    if nanoseconds < 10_000_000 {
        let tenths = nanoseconds / 100_000;
        return format!("{}.{}ms", tenths / 10, tenths % 10);
    }
    if nanoseconds < 1_000_000_000 {
        return format!("{}ms", nanoseconds / 1_000_000);
    }
    let centis = nanoseconds / 10_000_000;
    if centis < 6_000 {
        return format!("{}.{:02}s", centis / 100, centis % 100);
    }
    let tenths = nanoseconds / 100_000_000;
    let seconds = tenths / 10;
    if seconds < 3_600 {
        return format!("{}:{:02}.{}", seconds / 60, seconds % 60, tenths % 10);
    }
    format!(
        "{}:{:02}:{:02}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A percentage with one decimal, without the sign: `12.5`.
pub fn percent(value: f64) -> String {
    format!("{value:.1}")
}

/// A per-second rate in at most 4 characters: `0`, `2.5`, `140`, `1200`,
/// `35k`, `2M`.
pub fn short_rate(per_second: f64) -> String {
    match per_second {
        rate if rate <= 0.0 => "0".to_string(),
        rate if rate < 9.95 => format!("{rate:.1}"),
        rate if rate < 9_999.5 => format!("{rate:.0}"),
        rate if rate < 999_500.0 => format!("{:.0}k", rate / 1e3),
        rate => format!("{:.0}M", rate / 1e6),
    }
}

/// A short duration in nanoseconds, in at most 7 characters: `850 ns`,
/// `4.1 µs`, `48 µs`, `1.3 ms`, `402 ms`, `2.41 s`, `12.4 s`.
pub fn nanoseconds(ns: u64) -> String {
    let value = ns as f64;
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..9_950 => format!("{:.1} µs", value / 1e3),
        9_950..999_500 => format!("{:.0} µs", value / 1e3),
        999_500..9_950_000 => format!("{:.1} ms", value / 1e6),
        9_950_000..999_500_000 => format!("{:.0} ms", value / 1e6),
        999_500_000..9_995_000_000 => format!("{:.2} s", value / 1e9),
        _ => format!("{:.1} s", value / 1e9),
    }
}

/// An offset from a start, in nanoseconds: `+0 µs`, `+48 µs`, `+1.2 ms`.
pub fn offset(ns: u64) -> String {
    if ns == 0 {
        return "+0 µs".to_string();
    }
    format!("+{}", nanoseconds(ns))
}

/// An address in hex: `0x400000`.
pub fn address(address: u64) -> String {
    format!("{address:#x}")
}

/// A count with its noun, plural unless it is one: `1 line`, `2 lines`.
pub fn count(number: u64, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}

/// A boot id as 16 hex digits.
pub fn boot_id(id: u64) -> String {
    format!("{id:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_is_hours_minutes_seconds_tenths() {
        assert_eq!(uptime(0), "0:00:00.0");
        assert_eq!(uptime(12_345_000_000), "0:00:12.3");
        assert_eq!(uptime(3_723_900_000_000), "1:02:03.9");
    }

    #[test]
    fn guest_seconds_keep_milliseconds() {
        assert_eq!(guest_seconds(0), "0.000");
        assert_eq!(guest_seconds(12_345_678), "12.345");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(bytes(u64::MAX), "16777216.0 TiB");
    }

    #[test]
    fn small_formats() {
        assert_eq!(seconds(Duration::from_millis(2_540)), "2.5 s");
        assert_eq!(rate(9.96), "10.0");
        assert_eq!(bytes_rate(229.6), "230 B/s");
        assert_eq!(bytes_rate(1536.0), "1.5 KiB/s");
        assert_eq!(frequency(2_000_000_000), "2.000 GHz");
        assert_eq!(frequency(800_000_000), "800.0 MHz");
        assert_eq!(boot_id(0xb007), "000000000000b007");
        assert_eq!(count(0, "line"), "0 lines");
        assert_eq!(count(1, "line"), "1 line");
        assert_eq!(percent(12.345), "12.3");
        assert_eq!(address(0x40_0000), "0x400000");
    }

    #[test]
    fn cpu_time_grows_coarser() {
        assert_eq!(cpu_time(0), "0.0ms");
        assert_eq!(cpu_time(6_960_000), "6.9ms");
        assert_eq!(cpu_time(12_500_000), "12ms");
        assert_eq!(cpu_time(999_999_999), "999ms");
        assert_eq!(cpu_time(1_000_000_000), "1.00s");
        assert_eq!(cpu_time(59_999_999_999), "59.99s");
        assert_eq!(cpu_time(60_000_000_000), "1:00.0");
        assert_eq!(cpu_time(723_450_000_000), "12:03.4");
        assert_eq!(cpu_time(3_723_000_000_000), "1:02:03");
    }

    #[test]
    fn nanoseconds_keep_two_or_three_digits() {
        let shown: Vec<_> = [
            0,
            850,
            4_090,
            48_000,
            999_400,
            1_340_000,
            401_227_688,
            2_412_000_000,
            12_400_000_000,
        ]
        .into_iter()
        .map(nanoseconds)
        .collect();
        assert_eq!(
            shown,
            [
                "0 ns", "850 ns", "4.1 µs", "48 µs", "999 µs", "1.3 ms", "401 ms", "2.41 s",
                "12.4 s"
            ]
        );
        assert_eq!(offset(0), "+0 µs");
        assert_eq!(offset(95_000), "+95 µs");
    }

    #[test]
    fn short_rates_fit_four_characters() {
        let rates: Vec<_> = [0.0, 0.04, 2.5, 9.96, 140.2, 1_200.0, 35_000.0, 2_000_000.0]
            .into_iter()
            .map(short_rate)
            .collect();
        assert_eq!(rates, ["0", "0.0", "2.5", "10", "140", "1200", "35k", "2M"]);
    }
}

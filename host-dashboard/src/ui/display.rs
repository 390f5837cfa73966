//! The last pass over a drawn screen for the config file's theme colours,
//! `--no-color` and `--ascii`: it swaps the colours the theme changes, takes
//! the colours out (a highlighted cell becomes reversed, so the
//! selection still shows) and puts ASCII in place of box drawing, markers
//! and sparkline blocks. Done on the buffer, so no widget needs to know.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// The ASCII stand-in for a symbol, if it needs one.
pub fn ascii_symbol(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        "─" | "━" | "═" => "-",
        "│" | "┃" | "║" => "|",
        "┌" | "┐" | "└" | "┘" | "┏" | "┓" | "┗" | "┛" | "├" | "┤" | "┬" | "┴" | "┼" => {
            "+"
        }
        "▶" => ">",
        "▲" => "^",
        "▼" => "v",
        "→" => ">",
        "←" => "<",
        "↑" => "^",
        "↓" => "v",
        "·" => "-",
        "●" => "*",
        "⚠" => "!",
        "█" | "▇" | "▆" => "#",
        "▅" | "▄" => "=",
        "▃" | "▂" => "-",
        "▁" => ".",
        "…" => "~",
        "µ" => "u",
        _ => return None,
    })
}

/// Draws every colour of `buf` that `palette` changes in its new colour.
pub fn recolor(buf: &mut Buffer, palette: &[(Color, Color)]) {
    let swap = |colour: Color| {
        palette
            .iter()
            .find(|(from, _)| *from == colour)
            .map_or(colour, |(_, to)| *to)
    };
    for cell in buf.content.iter_mut() {
        cell.fg = swap(cell.fg);
        cell.bg = swap(cell.bg);
    }
}

/// Takes every colour out of `buf`; cells that had a background colour
/// (the selection, tabs, keys) are reversed instead.
pub fn strip_colors(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let highlighted = !matches!(cell.bg, Color::Reset);
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
        if highlighted {
            cell.modifier.insert(Modifier::REVERSED);
        }
    }
}

/// Replaces every symbol of `buf` that is not ASCII: known ones with their
/// stand-in, others with `?`.
pub fn to_ascii(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let ascii = ascii_symbol(symbol).unwrap_or("?");
        cell.set_symbol(ascii);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn ascii_mode_leaves_only_ascii() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
        buf.set_string(0, 0, "┏━▶é▲█ a", Style::default());
        to_ascii(&mut buf);
        let text: String = buf.content.iter().map(|cell| cell.symbol()).collect();
        assert_eq!(text, "+->?^# a");
    }

    #[test]
    fn recolor_swaps_only_the_colours_the_palette_names() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        buf.set_string(0, 0, "a", Style::new().fg(Color::Cyan).bg(Color::Blue));
        buf.set_string(1, 0, "b", Style::new().fg(Color::Red));
        recolor(
            &mut buf,
            &[(Color::Cyan, Color::LightBlue), (Color::Blue, Color::Black)],
        );
        assert_eq!(
            (buf.content[0].fg, buf.content[0].bg),
            (Color::LightBlue, Color::Black)
        );
        assert_eq!(buf.content[1].fg, Color::Red);
    }

    #[test]
    fn no_color_keeps_the_highlight_as_reverse_video() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        buf.set_string(0, 0, "a", Style::new().fg(Color::Red));
        buf.set_string(1, 0, "b", Style::new().fg(Color::Black).bg(Color::Cyan));
        strip_colors(&mut buf);
        assert_eq!(
            (buf.content[0].fg, buf.content[0].bg),
            (Color::Reset, Color::Reset)
        );
        assert!(!buf.content[0].modifier.contains(Modifier::REVERSED));
        assert_eq!(buf.content[1].bg, Color::Reset);
        assert!(buf.content[1].modifier.contains(Modifier::REVERSED));
    }
}

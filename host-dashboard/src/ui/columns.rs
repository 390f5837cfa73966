//! Fitting table columns to the width at hand: columns that do not fit are
//! left out whole, least important first, never cut short (a cut-off
//! address or count would read as another value).

/// Columns between neighbouring table columns (ratatui's default spacing).
pub const GAP: u16 = 1;

/// Which of the columns with `widths` to show in `available` columns: all
/// of them if they fit, else without the columns named in `drop_order`
/// (indexes, least important first), dropped one by one until the rest
/// fits or none of them is left to drop.
pub fn fit(widths: &[u16], drop_order: &[usize], available: u16) -> Vec<bool> {
    let mut shown = vec![true; widths.len()];
    for &index in drop_order {
        if needed(widths, &shown) <= available {
            break;
        }
        shown[index] = false;
    }
    shown
}

/// Columns the `shown` ones of `widths` take, gaps included.
pub fn needed(widths: &[u16], shown: &[bool]) -> u16 {
    let (count, sum) = widths
        .iter()
        .zip(shown)
        .filter(|(_, shown)| **shown)
        .fold((0u16, 0u16), |(count, sum), (width, _)| {
            (count + 1, sum + width)
        });
    sum + GAP * count.saturating_sub(1)
}

/// The items of `items` whose column is shown.
pub fn shown<T>(items: impl IntoIterator<Item = T>, shown: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(shown)
        .filter_map(|(item, shown)| shown.then_some(item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_shows_when_it_fits() {
        assert_eq!(needed(&[3, 4, 5], &[true; 3]), 14);
        assert_eq!(fit(&[3, 4, 5], &[1, 0], 14), [true, true, true]);
    }

    #[test]
    fn columns_go_in_order_until_the_rest_fits() {
        assert_eq!(fit(&[3, 4, 5], &[1, 0], 13), [true, false, true]);
        assert_eq!(fit(&[3, 4, 5], &[1, 0], 6), [false, false, true]);
        // Columns not in the drop order always stay.
        assert_eq!(fit(&[3, 4, 5], &[1, 0], 2), [false, false, true]);
    }

    #[test]
    fn shown_keeps_the_items_of_shown_columns() {
        assert_eq!(shown(["a", "b", "c"], &[true, false, true]), ["a", "c"]);
    }
}

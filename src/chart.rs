//! Purpose: the price-history chart `history` sends where a channel shows
//! pictures.
//!
//! A step line (a price holds until the next change, which is how price
//! points are stored), from the first point to `until`, with dates on the
//! x axis in the user's zone and prices on the y axis in the user's number
//! style. Rendered in memory with plotters' bitmap backend and a bundled
//! font, encoded as PNG; 800x400 stays far under Telegram's photo limits
//! (10 MB, width + height <= 10000).
//!
//! Money stays decimal everywhere else; here prices become `f64` only to
//! place pixels, and axis labels are formatted from decimals again.

use crate::l10n::Tr;
use crate::money::Money;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::sync::Once;

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 400;
const FONT: &str = "sans-serif";
const LINE: RGBColor = RGBColor(0x2f, 0x9e, 0x44);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("a chart needs at least one price")]
    NoPoints,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

fn register_bundled_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
        if register_font(FONT, FontStyle::Normal, bytes).is_err() {
            tracing::error!("the bundled chart font did not load; chart labels will be missing");
        }
    });
}

/// Draw `points` (price, UTC seconds; oldest first, one currency) as a PNG.
pub fn price_chart(
    title: &str,
    points: &[(Money, i64)],
    until: i64,
    tr: &Tr<'_>,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<u8>, ChartError> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Err(ChartError::NoPoints);
    };
    let currency = last.0.currency;
    let start = first.1;
    let end = until.max(last.1).max(start + 3600);
    let low = points
        .iter()
        .map(|(m, _)| m.amount)
        .min()
        .unwrap_or_default();
    let high = points
        .iter()
        .map(|(m, _)| m.amount)
        .max()
        .unwrap_or_default();
    // Headroom above and below, so a flat line sits mid-chart.
    let pad = ((high - low) / Decimal::from(8)).max(high.abs() / Decimal::from(20));
    let pad = if pad.is_zero() { Decimal::ONE } else { pad };
    let y_min = (low - pad).max(Decimal::ZERO).to_f64().unwrap_or(0.0);
    let y_max = (high + pad).to_f64().unwrap_or(1.0);

    // A step line: each price holds until the next one.
    let mut steps: Vec<(i64, f64)> = Vec::with_capacity(points.len() * 2 + 1);
    for (i, (money, at)) in points.iter().enumerate() {
        let y = money.amount.to_f64().unwrap_or(0.0);
        if i > 0 {
            if let Some(&(_, previous)) = steps.last() {
                steps.push((*at, previous));
            }
        }
        steps.push((*at, y));
    }
    if let Some(&(_, y)) = steps.last() {
        steps.push((end, y));
    }

    register_bundled_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let draw = |e: &dyn std::fmt::Display| ChartError::Draw(e.to_string());
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let title: String = title.chars().take(60).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .caption(title, (FONT, 22))
            .x_label_area_size(32)
            .y_label_area_size(90)
            .build_cartesian_2d(start..end, y_min..y_max)
            .map_err(|e| draw(&e))?;
        let x_label = |x: &i64| tr.date(*x, zone);
        let y_label = |y: &f64| {
            let amount = Decimal::try_from(*y).unwrap_or_default().round_dp(2);
            tr.money(Money::new(amount, currency))
        };
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(6)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style((FONT, 14))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(|e| draw(&e))?;
        chart
            .draw_series(LineSeries::new(steps, LINE.stroke_width(3)))
            .map_err(|e| draw(&e))?;
        root.present().map_err(|e| draw(&e))?;
    }
    encode_png(&rgb)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    use image::ImageEncoder;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgb, WIDTH, HEIGHT, image::ColorType::Rgb8)
        .map_err(|e| ChartError::Encode(e.to_string()))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l10n::L10n;
    use crate::money::Currency;

    #[test]
    fn a_history_becomes_a_png_of_the_promised_size() {
        let l10n = L10n::load().unwrap();
        let tr = l10n.tr("en-GB");
        let gbp = |a: &str| Money::new(a.parse().unwrap(), Currency::GBP);
        let day = 86_400;
        let points = [
            (gbp("49.99"), 0),
            (gbp("39.99"), 3 * day),
            (gbp("44.50"), 9 * day),
        ];
        let png = price_chart("Kettle", &points, 12 * day, &tr, &jiff::tz::TimeZone::UTC).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
        // Something besides the white background was drawn: the line's green.
        let rgb = decoded.to_rgb8();
        assert!(rgb.pixels().any(|p| p.0 == [0x2f, 0x9e, 0x44]));
        // One point, and a flat history, still draw.
        assert!(price_chart("x", &points[..1], 0, &tr, &jiff::tz::TimeZone::UTC).is_ok());
        assert!(matches!(
            price_chart("x", &[], 0, &tr, &jiff::tz::TimeZone::UTC),
            Err(ChartError::NoPoints)
        ));
    }
}

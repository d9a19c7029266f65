//! The geo index of shops: each place is stored with the H3 cells holding
//! it at a few resolutions, and a nearby search asks the database for the
//! cells of a disk around the point at the finest resolution that keeps
//! the disk small, then measures exact great-circle distances. H3 covers
//! the whole sphere, so the poles and the antimeridian need no special
//! case (a latitude/longitude box would).

use h3o::{CellIndex, LatLng, Resolution};

/// The resolutions stored per shop (columns `cell3`, `cell5`, `cell7`,
/// `cell9`), coarsest first.
pub const LEVELS: [u8; 4] = [3, 5, 7, 9];

/// The most rings a search disk may have (3k(k+1)+1 = 469 cells at 12).
const MAX_RINGS: u32 = 12;

/// A valid point, or `None` for latitudes outside ±90, longitudes outside
/// ±180, and non-finite numbers.
pub fn point(lat: f64, lon: f64) -> Option<LatLng> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    LatLng::new(lat, lon).ok()
}

fn resolution(level: u8) -> Resolution {
    Resolution::try_from(level).unwrap_or(Resolution::Nine)
}

/// The cell holding `p` at each of [`LEVELS`], as stored.
pub fn cells(p: LatLng) -> [i64; 4] {
    LEVELS.map(|level| cell_id(p.to_cell(resolution(level))))
}

/// H3 indexes use 63 bits: they fit an `i64` column unchanged.
fn cell_id(c: CellIndex) -> i64 {
    u64::from(c) as i64
}

/// Rings of cells at `level` that surely hold every point within
/// `radius_m` of the centre. Neighbouring centres are at least about 0.9
/// of the average edge apart at any resolution (H3 cells vary in size by
/// less than 2× across the globe), a ring grows by at least that in every
/// direction, and a point may sit up to one circumradius (the edge) off its
/// cell's centre at either end: so r / (0.9 e) rings plus 3.
fn rings(level: u8, radius_m: f64) -> u32 {
    let edge = resolution(level).edge_length_m();
    (radius_m / (0.9 * edge)).ceil() as u32 + 3
}

/// Which stored level to search and the cells to ask for: the finest level
/// whose disk stays within [`MAX_RINGS`] (the coarsest for wide radii).
pub fn cover(centre: LatLng, radius_m: f64) -> (usize, Vec<i64>) {
    let index = LEVELS
        .iter()
        .rposition(|&level| rings(level, radius_m) <= MAX_RINGS)
        .unwrap_or(0);
    let level = LEVELS[index];
    let k = rings(level, radius_m);
    let disk: Vec<CellIndex> = centre.to_cell(resolution(level)).grid_disk(k);
    (index, disk.into_iter().map(cell_id).collect())
}

/// Great-circle distance in metres (haversine on H3's mean Earth radius).
pub fn distance_m(a: LatLng, b: LatLng) -> f64 {
    a.distance_m(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every point within the radius lies in one of the covering cells.
    fn covered(centre: LatLng, p: LatLng, radius_m: f64) -> bool {
        let (index, cells) = cover(centre, radius_m);
        cells.contains(&super::cells(p)[index])
    }

    /// A point `d` metres from `from` on `bearing` (degrees).
    fn offset(from: LatLng, d: f64, bearing: f64) -> LatLng {
        let r = 6_371_007.180918475;
        let (lat1, lon1) = (from.lat_radians(), from.lng_radians());
        let (b, a) = (bearing.to_radians(), d / r);
        let lat2 = (lat1.sin() * a.cos() + lat1.cos() * a.sin() * b.cos()).asin();
        let lon2 = lon1 + (b.sin() * a.sin() * lat1.cos()).atan2(a.cos() - lat1.sin() * lat2.sin());
        let lon2 =
            (lon2 + 3.0 * std::f64::consts::PI).rem_euclid(2.0 * std::f64::consts::PI) - std::f64::consts::PI;
        LatLng::from_radians(lat2, lon2).unwrap()
    }

    #[test]
    fn points_out_of_range_are_refused() {
        assert!(point(90.1, 0.0).is_none());
        assert!(point(0.0, -180.5).is_none());
        assert!(point(f64::NAN, 0.0).is_none());
        assert!(point(90.0, 180.0).is_some());
    }

    #[test]
    fn small_radii_search_fine_cells_and_wide_ones_coarse_cells() {
        let seoul = point(37.5665, 126.978).unwrap();
        assert_eq!(cover(seoul, 0.0).0, 3, "resolution 9");
        assert_eq!(cover(seoul, 1_000.0).0, 3);
        assert_eq!(cover(seoul, 20_000.0).0, 1, "resolution 5");
        assert_eq!(cover(seoul, 100_000.0).0, 0, "resolution 3");
        assert!(cover(seoul, 50_000.0).1.len() <= 469);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Anywhere on the globe (poles and the antimeridian included), a
        /// point up to the radius away is in the searched cells.
        #[test]
        fn the_cover_holds_every_point_within_the_radius(
            lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
            radius in prop_oneof![0.0f64..2_000.0, 2_000.0f64..100_000.0],
            frac in 0.0f64..=1.0, bearing in 0.0f64..360.0,
        ) {
            let centre = point(lat, lon).unwrap();
            let p = offset(centre, radius * frac, bearing);
            prop_assert!(covered(centre, p, radius));
        }
    }

    #[test]
    fn the_cover_holds_at_the_poles_and_across_the_antimeridian() {
        for (lat, lon) in [
            (90.0, 0.0),
            (-90.0, 45.0),
            (89.999, 179.999),
            (0.0, 180.0),
            (-16.5, -179.99),
            (64.0, -179.9),
        ] {
            let centre = point(lat, lon).unwrap();
            for radius in [10.0, 500.0, 5_000.0, 50_000.0] {
                for bearing in (0..360).step_by(15) {
                    let p = offset(centre, radius, f64::from(bearing));
                    assert!(covered(centre, p, radius), "{lat},{lon} r={radius} b={bearing}");
                }
            }
        }
    }
}

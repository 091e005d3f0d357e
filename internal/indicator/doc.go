// Package indicator computes Threshold's indicators: per country and per
// first-level administrative area, per day, ISO week and calendar month,
// the figures that detection and alert rules watch.
//
// # Indicators
//
// Every value belongs to a cell: a Place (country, and admin-1 area or ""
// for the whole country), a period Kind (Day, Week, Month) and the period's
// first day. The names are:
//
//	events              events in the cell
//	events.<category>   events of one category (event.Category), so
//	                    events.protest and events.riot are the protest and
//	                    riot counts
//	violent_events      events of a violent category (Category.Violent)
//	violent_share       violent_events / events, 0..1
//	fatal_events        events with a best fatality estimate above zero
//	fatalities_best     sum of best fatality estimates
//	fatalities_low      sum of low estimates; an event without one adds its
//	fatalities_high     best estimate, so low <= best <= high holds for sums
//	goldstein_events    events carrying a Goldstein score (GDELT, ICEWS):
//	                    the volume of those sources
//	goldstein_mean      mean Goldstein score of those events, -10..10
//	days_since_fatal    days from the last day of the period back to the
//	                    latest day with a fatal event, on or before it
//
// Values are sparse: a cell exists only where its place had events in the
// period, and counts and sums are stored only when they are not zero, so
// an absent count means zero. violent_share is stored for every cell;
// goldstein_mean only where goldstein_events is not zero; days_since_fatal
// for every cell once the place has had a fatal event (for a period without
// events it is the previous cell's value plus the days between).
//
// An event counts in the period of its start date. It counts in its
// admin-1 area only when its place is known to that area or better
// (event.GeoPrecision Admin1Area or finer, or unknown); every event counts
// in its country.
//
// # Spatial lag
//
// For countries (not admin-1 areas) and weeks and months (not days: a
// neighbour's single day is noise, and day cells would multiply the stored
// values by the number of neighbours), the same figures summed over the
// country's land neighbours in the period's year (geo.Neighbours with
// geo.Land, from the Correlates of War direct contiguity data), prefixed
// "nb.": nb.violent_events, nb.fatalities_best, nb.events.protest,
// nb.events.riot, nb.goldstein_events, and nb.goldstein_mean, the mean
// Goldstein score of all neighbours' scored events together (a mean
// weighted by volume, not a mean of means). These are the figures that
// signal spillover; the other counts are left out to keep the table small
// (the lag is stored for many country-weeks with no events of their own).
// They are stored for every country-period where a neighbour had events,
// even when the country itself had none.
//
// # Updating
//
// Compute is pure: it turns event aggregates (daily sums per place and
// category, which the store computes in SQL) into values. An Updater reads
// the aggregates from a Store, computes, and writes the values back;
// Recompute(ctx, countries, from, to) redoes the cells of those countries
// in the periods touching [from, to], and of their land neighbours, whose
// spatial lag depends on them. After an ingest (CLI, demo, API upload) the
// caller runs Recompute over what the ingest's writes touched
// (ingest.Summary.Touched: each changed event's country and start day, the
// replaced versions' too); `threshold ingest --indicators=false` defers it
// to `threshold indicators --recompute`. Recompute(ctx, nil, time.Time{}, time.Time{})
// rebuilds everything. It reads events outside the write transaction, so
// call it after the events are committed; of two concurrent calls over the
// same cells, the last to commit wins.
//
// Recompute streams: the store hands the aggregates over grouped by
// country and admin-1 area, the Updater computes each place's values as
// its group ends and passes them on in batches while the store writes the
// earlier ones in the same transaction, keeping of every country only the
// week and month sums the spatial lag needs (written last). Its memory is
// bounded by the places and periods, not by the number of events; the
// values are exactly Compute's over all the aggregates at once.
package indicator

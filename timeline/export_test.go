package timeline

// EightHours is journaltest.EightHours, set by the package's external
// tests (journaltest imports timeline, so the tests inside cannot import
// it): the 8-hour synthetic session.
var EightHours func(hours, faults, notes int) []Event

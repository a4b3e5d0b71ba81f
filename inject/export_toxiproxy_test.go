package inject

// ToxiBed and NewToxiBed let the external tests (the crash matrix through
// the gameday binary) use the real Toxiproxy server of this package's
// tests.
type ToxiBed = toxiBed

// NewToxiBed is newToxiBed.
var NewToxiBed = newToxiBed

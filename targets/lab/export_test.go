package lab

// Dials is dials, for the external tests: the same "answers on its port"
// the lab's checks use.
var Dials = dials

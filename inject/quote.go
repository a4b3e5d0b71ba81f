package inject

import "github.com/gameday-dev/gameday/inject/sshx"

// Quote returns argv as one POSIX shell command line in which every argument
// is single-quoted unless it is made only of characters no shell treats
// specially, so that `sh -c Quote(argv...)` runs exactly argv. It is
// sshx.Quote: the SSH layer owns quoting, so probes that run commands on
// hosts quote the same way without importing inject.
func Quote(argv ...string) string { return sshx.Quote(argv...) }

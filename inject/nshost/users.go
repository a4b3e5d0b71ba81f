package nshost

import "github.com/gameday-dev/gameday/internal/hostns"

// etcNetns is where `ip netns exec` finds per-namespace /etc files.
const etcNetns = hostns.EtcNetns

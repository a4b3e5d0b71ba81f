package timeline

// ReviewSource is the source of review notes: notes written while
// replaying a session (gameday replay), kept in a review journal beside
// the session's and shown, in replays and reports, as review notes.
const ReviewSource = "review"

// ReviewSuffix ends the name of a review journal: the notes on
// NAME.jsonl are in NAME.review.jsonl beside it.
const ReviewSuffix = ".review.jsonl"

// IsReviewNote tells a review note from a note written during the game
// day.
func (r Row) IsReviewNote() bool { return r.Kind == Note && r.Source == ReviewSource }

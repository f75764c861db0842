package intent

import (
	"sync"

	"github.com/calmbot/calmbot/bot/language"
)

// scratch is the working memory of one reading of a turn: its tokens, the
// features and word entries of a classification, their vocabulary ids,
// the class scores and the stems a choice is matched on. Analyze takes one
// from the Analyzer's pool and gives it back, so that a turn neither
// allocates these on the heap nor grows its goroutine's stack by the tens
// of KiB they take (the engine runs turns on short-lived goroutines, whose
// stacks would otherwise grow and be copied on every turn).
type scratch struct {
	toks  [maxTokens]language.Token
	feats [maxFeatures]feature
	hits  [maxTokens]*wordEntry
	ids   [maxFeatures]int32
	z     [maxClasses]float64
	stems [maxTokens]string
}

// scratchPool is a pool of *scratch.
type scratchPool struct{ p sync.Pool }

// get returns a scratch for one turn.
func (sp *scratchPool) get() *scratch {
	if s, ok := sp.p.Get().(*scratch); ok {
		return s
	}
	return new(scratch)
}

// put gives s back, its strings cleared so that the pool holds on to no
// turn's text.
func (sp *scratchPool) put(s *scratch) {
	clear(s.toks[:])
	clear(s.hits[:])
	clear(s.stems[:])
	sp.p.Put(s)
}

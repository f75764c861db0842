package bot

import (
	"runtime"
	"weak"
)

// CompiledVersions counts the flows versions the engine keeps compiled in
// memory, after a garbage collection.
func (e *Engine) CompiledVersions() int {
	runtime.GC()
	n := 0
	e.versions.Range(func(_, v any) bool {
		if v.(weak.Pointer[program]).Value() != nil {
			n++
		}
		return true
	})
	return n
}

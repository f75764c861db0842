package flows_test

import (
	"fmt"

	"github.com/calmbot/calmbot/flows"
)

func ExampleParse() {
	src := `version: 1
languages: [en]
texts:
  welcome: {en: "Hello! What can I do for you?"}
  clarify: {en: "Could you tell me more?"}
  unclear: {en: "I did not quite follow."}
  handoff: {en: "A colleague will take it from here."}
  restart: {en: "Of course. What else can I do for you?"}
  channels: {en: "You can also reach us at help@example.com."}
  farewell: {en: "It was a pleasure to help. {channels}"}
  too_long: {en: "Could you send the key points?"}
flows:
  late:
    start: ack
    states:
      ack:
        kind: acknowledge
        say: {en: "Thank you for telling us about {order}."}
        next: confrim
`
	f, err := flows.Parse("flows.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("quiet window:", f.Policy.QuietWindow)
	for _, d := range f.Validate() {
		fmt.Println(d)
	}
	// Output:
	// quiet window: 2s
	// flows.yaml:13:3: no-close: flow late has no path to a close state, $end or $restart
	// flows.yaml:18:15: unknown-placeholder: unknown placeholder {order} in flows.late.states.ack.say.en: want one of solution, time_frame, next_steps, choice, choices, channels, position, wait, opens
	// flows.yaml:19:9: unknown-target: "confrim" is not a state of flow late nor $end, $restart or $handoff
}

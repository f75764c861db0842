package main

import (
	"strings"

	"github.com/chromedp/chromedp"
)

// assistInBrowser is the agent assist on the ticket page of TestBrowser's
// agent (who holds a late delivery handed off at its options, after the
// bot apologised): a draft breaking the rules gets its hints under the
// reply box as it is typed, one is dismissed, sending stays possible, and
// the flow's next step goes into the reply box with one click. The reply
// box is left empty.
func assistInBrowser(agent *tab) {
	t := agent.t
	t.Helper()
	const draft = "Sorry, unfortunately we'll send a replacement. Please call us."
	agent.do("type a draft", chromedp.SendKeys(chromedp.ID("reply-text"), draft))
	for _, rule := range []string{"negative_word", "second_apology", "promise_no_time", "channel_switch", "one_option"} {
		agent.waitFor("the "+rule+" hint", `document.querySelector('#assist-hints li[data-rule="`+rule+`"]') !== null`)
	}
	if eval[bool](agent, `document.querySelector('#reply-form button[type="submit"]').disabled`) {
		t.Error("the hints disabled the send button")
	}
	why := eval[string](agent, `document.querySelector('#assist-hints li[data-rule="channel_switch"] .assist-why').textContent`)
	if !strings.Contains(why, "Answer where the customer wrote") {
		t.Errorf("the channel hint says %q", why)
	}
	agent.waitFor("the next steps", `document.querySelectorAll("#assist-steps li").length >= 3`)
	agent.shot("assist-hints")
	agent.do("view the desk at 390 px", chromedp.EmulateViewport(390, 844))
	agent.waitFor("the narrow layout", `window.innerWidth <= 400`)
	agent.shot("assist-hints-390")
	agent.do("back to the wide desk", chromedp.EmulateViewport(1280, 900))

	agent.do("dismiss the channel hint", chromedp.Click(chromedp.CSS(`#assist-hints li[data-rule="channel_switch"] .assist-dismiss`)))
	agent.waitFor("the channel hint to go", `document.querySelector('#assist-hints li[data-rule="channel_switch"]') === null`)

	// The agreement for the first option goes into the emptied box, to edit.
	emptyReplyBox(agent)
	agent.do("insert the agreement", chromedp.Click(chromedp.CSS(`#assist-steps li[data-kind="agree"] .assist-insert`)))
	agent.waitFor("the agreement in the reply box", `document.getElementById("reply-text").value.indexOf("let us do that") >= 0`)
	agent.waitFor("no hints on the flow's own text", `document.querySelectorAll("#assist-hints li").length === 0`)
	emptyReplyBox(agent)
}

// emptyReplyBox clears the reply box as the agent would, with an input event.
func emptyReplyBox(agent *tab) {
	agent.t.Helper()
	eval[bool](agent, `(function () { var b = document.getElementById("reply-text"); b.value = ""; b.dispatchEvent(new Event("input")); return true; })()`)
}

// reviewInBrowser: once the ticket is closed (here released to the bot),
// its page shows the review of the people's part.
func reviewInBrowser(agent *tab) {
	agent.t.Helper()
	agent.waitFor("the review", `document.getElementById("assist-review") !== null`)
	got := eval[string](agent, `document.getElementById("assist-review").innerText`)
	for _, want := range []string{"Stages", "missing", "Replies", "second_apology", "First reply", "target"} {
		if !strings.Contains(got, want) {
			agent.t.Errorf("the review lacks %q:\n%s", want, got)
		}
	}
	if !eval[bool](agent, `document.getElementById("assist-steps").hidden`) {
		agent.t.Error("the next steps are still offered on a closed ticket")
	}
	agent.shot("assist-review")
}

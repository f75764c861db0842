package bot

import "context"

// Answer is how a customer's reply reads as an answer to a question.
type Answer string

// Answers.
const (
	AnswerNone Answer = ""    // not a yes/no answer
	AnswerYes  Answer = "yes" // yes, correct, that works
	AnswerNo   Answer = "no"  // no, not that, nothing else
)

// Analysis is the bot's reading of one customer turn.
type Analysis struct {
	// Lang is the language of the text, restricted to the flows' languages.
	Lang string `json:"lang"`
	// Sentiment is in [-1, 1]; Label is negative, neutral or positive.
	Sentiment float64 `json:"sentiment"`
	Label     string  `json:"label"`
	// Intent is the best matching intent and IntentScore its score in [0, 1];
	// InScope is IntentScore >= the policy threshold.
	Intent      string  `json:"intent,omitempty"`
	IntentScore float64 `json:"intent_score"`
	InScope     bool    `json:"in_scope"`
	// HumanRequest is true when the customer asks for a person.
	HumanRequest bool `json:"human_request,omitempty"`
	// Answer reads the text as yes or no.
	Answer Answer `json:"answer,omitempty"`
	// Choice is the id of the offered option the text picks, or "".
	Choice string `json:"choice,omitempty"`
	// Goodbye is true when the text only thanks or takes leave ("thanks,
	// bye"), naming no concern.
	Goodbye bool `json:"goodbye,omitempty"`
}

// AnalyzeInput is one customer turn and what the conversation expects.
type AnalyzeInput struct {
	Text string
	// Lang is the conversation's language so far ("" when unknown); Locale
	// the platform's hint.
	Lang   string
	Locale string
	// Choices are the options currently offered, to match the text against.
	Choices []Choice
}

// Analyzer reads customer turns. The engine builds one per flow file with
// the AnalyzerFactory it was given.
type Analyzer interface {
	Analyze(ctx context.Context, in AnalyzeInput) Analysis
}

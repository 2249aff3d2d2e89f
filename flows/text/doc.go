// Package text is the one place where the helpline reads what people write.
// Answers, keywords and danger are all matched over what it makes of a
// message: words folded to lower case without accents, emoji kept as
// tokens, texting forms expanded ("wanna", "q"), a dropped g restored
// ("cuttin"), stems from a Snowball stemmer, numbers read from digits and
// words ("a couple", "una docena"), and negation and contrast marked with
// their scope.
//
// What a language knows (its texting forms, number words, yes and no,
// negation and contrast words, fillers and keywords) is data: a Language is
// decoded from YAML by package flows, which validates it with Check, so a
// new language is a translation and, optionally, a stemmer.
//
// Typos are forgiven in one place, Near: one insertion, deletion,
// substitution or swap of two letters in words of five letters or more,
// and only where a Pattern asks for it (option words, synonyms, danger
// patterns), never in keywords or number words.
//
// The package is a leaf: it imports only the standard library,
// golang.org/x/text and the Snowball stemmers.
package text

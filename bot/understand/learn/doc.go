// Package learn is the reading learned from examples: a small linear
// classifier over what the text layer makes of a message, its trainer and
// its file format.
//
// Features are hashed (FNV-1a with a fixed seed, no vocabulary to keep in
// sync): the words of a text as the text layer folds them, marked when a
// negation covers them, pairs of neighbouring words, character 3- to
// 5-grams over the folded words (for typos and slang), the language, and
// whether a question mark is written (the text layer drops punctuation, but
// "medicare?" asks where "medicare" answers).
// The model is multinomial logistic regression with L2 and capped
// inverse-frequency class weights, trained by AdaGrad in a fixed order, so
// the same inputs give the same model on every run. Validation folds are
// made by writer, never by row: whoever wrote an example is either wholly
// inside a fold or wholly outside it, since writers share habits that a
// model would otherwise learn to recognise. Out-of-fold predictions set
// the temperature that calibrates the probabilities and the thresholds at
// which a probability decides, and the model trained on every writer
// carries both.
//
// Predict hashes a text once for all its spans (the whole and each
// clause) and sums each feature's int8 row once, in integers, so that a
// short text reads in a couple of microseconds; the trainer's validation
// reads as Predict does, so the thresholds fit what Predict computes.
//
// A model file holds int8 weights with a scale per class, the classes,
// the thresholds, the trainer's settings and two digests: Digest of every
// input (example files, language files, settings), so a test can tell when
// the examples changed without a retrain, and LangDigest of the languages
// alone, so a binary can refuse a model read with other words than it was
// trained on.
//
// The package imports only the standard library and helpline/flows/text.
package learn

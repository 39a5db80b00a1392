// File: tools/larch/usage.h
// How `larch` answers a command line it cannot run: a mistyped verb or
// sub-verb (with the closest names), a verb group without its sub-verb, and
// CLI11's own parse errors, all as "larch VERB: error: MESSAGE" with the
// usage exit code (docs/cli.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace larch::cli {

// Walks argv through the verb tree before CLI11 parses it. Returns the exit
// code when the words do not name a verb: an unknown (sub-)verb, reported
// with suggestions, or a bare group (`larch`, `larch admin`), answered with
// its help as git does. nullopt: let CLI11 parse.
std::optional<int> CheckVerbs(const CLI::App& root, int argc, char** argv);

// Prints a CLI11 parse error (help and --version included) and returns the
// exit code.
int ReportParseError(CLI::App& root, const CLI::ParseError& e);

// "admin upgrade": the deepest verb the command line chose, without "larch".
std::string ChosenVerb(const CLI::App& root);

// The candidates closest to `word` by edit distance (a transposition counts
// one), or that `word` begins; empty when none is close.
std::vector<std::string> ClosestNames(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace larch::cli

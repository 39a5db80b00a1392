// File: tools/larch/usage.cc
#include "tools/larch/usage.h"

#include <algorithm>
#include <cstdio>

#include "tools/larch/exit_codes.h"

namespace larch::cli {

namespace {

// Optimal string alignment distance: Levenshtein plus the swap of two
// neighbours ("upgarde"), the commonest typo.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> VerbNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

// "larch admin" for the admin group.
std::string FullName(const CLI::App& app) {
  std::string name = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) name = p->get_name() + " " + name;
  return name;
}

bool HasPositionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

// An option of `app` or of a verb it falls through to (--repo after the verb).
const CLI::Option* FindOption(const CLI::App& app, const std::string& name) {
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    const CLI::Option* o = a->get_option_no_throw(name);
    if (o != nullptr) return o;
  }
  return nullptr;
}

int UnknownVerb(const CLI::App& app, const std::string& word) {
  const std::vector<std::string> close = ClosestNames(word, VerbNames(app));
  std::string hint;
  for (size_t i = 0; i < close.size(); ++i) {
    const char* separator = i == 0 ? "" : i + 1 == close.size() ? " or " : ", ";
    hint += separator + ("'" + close[i] + "'");
  }
  const std::string advice = hint.empty() ? "see " + FullName(app) + " --help" : "did you mean " + hint + "?";
  std::fprintf(stderr, "larch: unknown command '%s' for '%s'; %s\n", word.c_str(), FullName(app).c_str(),
               advice.c_str());
  return kExitUsage;
}

bool AsksForHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "--version") return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> ClosestNames(const std::string& word, const std::vector<std::string>& candidates) {
  // Up to a third of the word may be wrong (at least one letter, at most
  // three), as git's "did you mean": further than that is another word.
  const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  size_t best = limit + 1;
  std::vector<std::string> out;
  for (const std::string& c : candidates) {
    const size_t d = c.rfind(word, 0) == 0 && word.size() >= 2 ? 0 : EditDistance(word, c);
    if (d > best) continue;
    if (d < best) out.clear();
    best = d;
    out.push_back(c);
  }
  return best <= limit ? out : std::vector<std::string>{};
}

std::optional<int> CheckVerbs(const CLI::App& root, int argc, char** argv) {
  const CLI::App* app = &root;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      // "--repo=DIR" and "-n5" carry their value; "--repo DIR" takes the next word.
      const bool is_long = arg[1] == '-';
      const std::string name = is_long ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
      const bool attached = name.size() < arg.size();
      const CLI::Option* o = FindOption(*app, name);
      if (o == nullptr) return std::nullopt;  // unknown here: CLI11 names it better than a guess at verbs
      if (!attached && o->get_type_size_max() > 0) ++i;
      continue;
    }
    if (app->get_subcommands([](const CLI::App*) { return true; }).empty() || HasPositionals(*app))
      return std::nullopt;  // a verb's own argument
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; }))
      if (s->get_name() == arg) sub = s;
    if (sub == nullptr) return UnknownVerb(*app, arg);
    app = sub;
  }
  // A bare group: git prints the verbs to stdout and fails (there is nothing
  // it did), so scripts notice.
  if (app->get_require_subcommand_min() == 0 || AsksForHelp(argc, argv)) return std::nullopt;
  // help(prev) names the verb after its parents, as --help does.
  std::fputs(app->help(app->get_parent() != nullptr ? FullName(*app->get_parent()) : "").c_str(), stdout);
  return kExitUsage;
}

std::string ChosenVerb(const CLI::App& root) {
  std::string verb;
  const CLI::App* app = &root;
  for (;;) {
    const std::vector<const CLI::App*> chosen =
        app->get_subcommands([](const CLI::App* s) { return s->parsed(); });
    if (chosen.empty()) return verb;
    app = chosen.front();
    verb += (verb.empty() ? "" : " ") + app->get_name();
  }
}

int ReportParseError(CLI::App& root, const CLI::ParseError& e) {
  // --help, --help-all, --version: CLI11 prints the chosen verb's help.
  if (e.get_exit_code() == 0) return root.exit(e);
  const std::string verb = ChosenVerb(root);
  std::fprintf(stderr, "larch%s%s: error: %s\n", verb.empty() ? "" : " ", verb.c_str(), e.what());
  return kExitUsage;
}

}  // namespace larch::cli

// Native KenLM word-by-word query loop: the peer of `dashlm bench-query`
// without kenlm-rs's FFI, built by `benches/kenlm_native/build.sh`.
//
//   kenlm-query-loop MODEL [REPEAT] < TEXT
//
// MODEL is a KenLM binary (any data structure) or plain ARPA text. Every word
// of TEXT (one sentence per line) is converted to an id first; then every word
// and </s> of every line is scored with FullScore from <s>, two states taking
// turns as in KenLM's kenlm_benchmark, REPEAT times (default 3). Prints the line
// `dashlm bench-query` prints, for the fastest run:
//
//   queries=N log10_sum=X seconds=S qps=Q
//
//   kenlm-query-loop --serve MODEL TEXT PASSES
//
// The benchmark harness's child (`examples/bench.rs --kenlm-native-bin`): loads
// MODEL and TEXT, prints `ready QUERIES` (queries per run: PASSES passes over
// TEXT), then answers each line of its input: `run` with `QUERIES LOG10_SUM`
// after one timed run (the parent times the exchange), `scores` with one line
// `LOG10_PROB NGRAM_LENGTH` per query of one pass, then `end`.
#include "lm/binary_format.hh"
#include "lm/model.hh"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

typedef std::vector<std::vector<lm::WordIndex> > Sentences;

// Every line of `in` as word ids, each ending with </s>.
template <class Model> Sentences ReadIds(const Model &model, std::istream &in) {
  const typename Model::Vocabulary &vocab = model.GetVocabulary();
  Sentences sentences;
  std::string line, word;
  while (std::getline(in, line)) {
    std::vector<lm::WordIndex> ids;
    std::istringstream words(line);
    while (words >> word) ids.push_back(vocab.Index(word));
    ids.push_back(vocab.EndSentence());
    sentences.push_back(ids);
  }
  return sentences;
}

uint64_t Queries(const Sentences &sentences) {
  uint64_t queries = 0;
  for (const auto &s : sentences) queries += s.size();
  return queries;
}

// One pass over `sentences`, word by word from <s>, two states taking turns:
// `each` gets every query's FullScoreReturn.
template <class Model, class Each> void Walk(const Model &model, const Sentences &sentences, Each each) {
  lm::ngram::State states[2];
  for (const auto &s : sentences) {
    const lm::ngram::State *in = &model.BeginSentenceState();
    int turn = 0;
    for (lm::WordIndex w : s) {
      each(model.FullScore(*in, w, states[turn]));
      in = &states[turn];
      turn ^= 1;
    }
  }
}

// One pass; the sum of the log10 probabilities.
template <class Model> double Pass(const Model &model, const Sentences &sentences) {
  double sum = 0.0;
  Walk(model, sentences, [&sum](const lm::FullScoreReturn &r) { sum += r.prob; });
  return sum;
}

// As kenlm_benchmark loads: read into (huge-page) memory.
lm::ngram::Config LoadConfig() {
  lm::ngram::Config config;
  config.load_method = util::READ;
  return config;
}

template <class Model> int Run(const char *file, int repeat) {
  Model model(file, LoadConfig());
  const Sentences sentences = ReadIds(model, std::cin);
  const uint64_t queries = Queries(sentences);
  double best = 1e300, log10_sum = 0.0;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    log10_sum = Pass(model, sentences);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (took.count() < best) best = took.count();
  }
  std::printf("queries=%llu log10_sum=%.4f seconds=%.9f qps=%.0f\n",
              static_cast<unsigned long long>(queries), log10_sum, best,
              static_cast<double>(queries) / best);
  return 0;
}

template <class Model> int Serve(const char *file, const char *text, int passes) {
  Model model(file, LoadConfig());
  std::ifstream in(text);
  if (!in) {
    std::fprintf(stderr, "kenlm-query-loop: %s: cannot open\n", text);
    return 2;
  }
  const Sentences sentences = ReadIds(model, in);
  const uint64_t queries = Queries(sentences);
  std::printf("ready %llu\n", static_cast<unsigned long long>(queries * passes));
  std::fflush(stdout);
  std::string command;
  while (std::getline(std::cin, command)) {
    if (command == "run") {
      double sum = 0.0;
      for (int p = 0; p < passes; ++p) sum += Pass(model, sentences);
      std::printf("%llu %.6f\n", static_cast<unsigned long long>(queries * passes), sum);
    } else if (command == "scores") {
      Walk(model, sentences, [](const lm::FullScoreReturn &r) {
        std::printf("%.9g %u\n", r.prob, static_cast<unsigned>(r.ngram_length));
      });
      std::printf("end\n");
    } else {
      std::fprintf(stderr, "kenlm-query-loop: unknown command '%s' (expected run or scores)\n", command.c_str());
      return 2;
    }
    std::fflush(stdout);
  }
  return 0;
}

// Calls `F<Model>(args...)` with the model class of `file`'s data structure.
#define DISPATCH(F, file, ...)                                           \
  do {                                                                   \
    using namespace lm::ngram;                                           \
    ModelType type;                                                      \
    if (!RecognizeBinary(file, type)) return F<ProbingModel>(file, __VA_ARGS__); \
    switch (type) {                                                      \
      case PROBING: return F<ProbingModel>(file, __VA_ARGS__);           \
      case REST_PROBING: return F<RestProbingModel>(file, __VA_ARGS__);  \
      case TRIE: return F<TrieModel>(file, __VA_ARGS__);                 \
      case QUANT_TRIE: return F<QuantTrieModel>(file, __VA_ARGS__);      \
      case ARRAY_TRIE: return F<ArrayTrieModel>(file, __VA_ARGS__);      \
      case QUANT_ARRAY_TRIE: return F<QuantArrayTrieModel>(file, __VA_ARGS__); \
    }                                                                    \
    std::fprintf(stderr, "kenlm-query-loop: %s: unknown KenLM model type %d\n", file, static_cast<int>(type)); \
    return 2;                                                            \
  } while (0)

int Main(int argc, char **argv) {
  if (argc == 5 && std::string(argv[1]) == "--serve") {
    const int passes = std::atoi(argv[4]);
    if (passes < 1) {
      std::fprintf(stderr, "kenlm-query-loop: PASSES must be a positive integer, got '%s'\n", argv[4]);
      return 2;
    }
    DISPATCH(Serve, argv[2], argv[3], passes);
  }
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: kenlm-query-loop MODEL [REPEAT] < TEXT\n"
                         "       kenlm-query-loop --serve MODEL TEXT PASSES\n");
    return 2;
  }
  const int repeat = argc == 3 ? std::atoi(argv[2]) : 3;
  if (repeat < 1) {
    std::fprintf(stderr, "kenlm-query-loop: REPEAT must be a positive integer, got '%s'\n", argv[2]);
    return 2;
  }
  DISPATCH(Run, argv[1], repeat);
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "kenlm-query-loop: %s\n", e.what());
    return 2;
  }
}

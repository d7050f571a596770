// The directive lines of a netlist's top level, read into the Circuit being elaborated
// (netlists/elaborate.hpp lists the directives and picospice's additions to their syntax).
//
// Options and .temp are read before any element is built, because devices read them (tnom, temp)
// while building their instances; the other directives after every element exists, because they
// name sources, nodes and instances.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/circuit.hpp"
#include "netlists/elaboration_scope.hpp"
#include "netlists/parser/parser.hpp"

namespace picospice {

// Output names and `.measure` words from tokens[i] on: `v(a,b)` joined into one word, `{expr}`
// evaluated with `param` (kept as `{expr}` text when it cannot be), commas dropped.
std::vector<std::string> output_words(const std::vector<Token>& tokens, std::size_t i,
                                      const std::function<bool(std::string_view, double&)>& param);

// A `.measure ... PARAM={text}` whose expression reads other measures' results: the function the
// measure code calls with those results (.param values the text names are taken from `params`).
// Throws ExpressionError for a syntax error now, and when called for a name neither knows.
std::function<double(const MeasureSpec::ResultLookup&)> measure_param_function(const std::string& text,
                                                                              const ElaborationScope& params);

class DirectiveReader {
 public:
  // `top` is the netlist's top-level scope (directive values may use its parameters),
  // `top_params` its `.param` lines, `instances` every instance name elaborated so far (filled
  // by the elaborator before read_directive is called) with where it was defined.
  DirectiveReader(Circuit& circuit, const ElaborationScope& top, const std::vector<ParamAssignment>& top_params,
                  const std::unordered_map<std::string, SourceLocation>& instances, const WarningSink& warn);

  // `.options` (`.option`, `.opt`) into circuit.options; unknown options are kept as text in
  // circuit.extra_options.
  void read_options(const LogicalLine& line);
  // `.temp celsius`.
  void read_temp(const LogicalLine& line);
  // Any other directive: .op .dc .tran .ac .noise .tf .ic .nodeset .save .measure. Options and .temp are skipped
  // (read first, above).
  void read_directive(const LogicalLine& line);

  void warn_about_option(const std::string& name, const Token& token) const;

 private:
  bool is_top_param(const std::string& name) const;
  void read_dc(const LogicalLine& line);
  void read_tran(const LogicalLine& line);
  void read_ac(const LogicalLine& line);
  void read_noise(const LogicalLine& line);
  void read_tf(const LogicalLine& line);
  std::size_t read_small_signal_output(const LogicalLine& line, SmallSignalOutput& out) const;
  std::string read_small_signal_source(const LogicalLine& line, std::size_t token) const;
  FrequencySweep read_frequency_sweep(const LogicalLine& line, const std::vector<std::size_t>& words, std::size_t w,
                                      const char* usage) const;
  void read_node_values(const LogicalLine& line, std::vector<NodeValue>& out);
  std::vector<std::string> output_words(const std::vector<Token>& tokens, std::size_t i) const;
  void read_save(const LogicalLine& line);
  void read_measure(const LogicalLine& line);

  Circuit& circuit_;
  const ElaborationScope& top_;
  const std::vector<ParamAssignment>& top_params_;
  const std::unordered_map<std::string, SourceLocation>& instances_;
  WarningSink warn_;
};

}  // namespace picospice

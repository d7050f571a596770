// Runs the `.control` blocks of a netlist: the subset of ngspice's control language that batch
// scripts use (ngspice manual, "Interactive Interpreter" and "Commands"), in order.
//
//   op | dc ... | tran ... | ac ... | noise ... | tf ...
//                                     an analysis, with the dot-command's arguments; new plots
//   run                               the netlist's own dot-analyses (with their .measure lines)
//   setplot [NAME]                    makes NAME (`tran1`, `noise1`) the current plot; alone,
//                                     lists the plots
//   set NAME [= VALUE] / unset NAME   variables, substituted as $NAME (and $&VECTOR, {$NAME})
//   let NAME = EXPR                   a vector of the current plot (control_vectors.hpp)
//   print EXPR... | all, echo TEXT    to standard output
//   write FILE [EXPR...]              a raw file of the current plot (all its vectors, or the
//                                     scale and the ones named); `set filetype=ascii` for ASCII,
//                                     `set appendwrite` to add plots to the file
//   wrdata FILE EXPR...               columns "scale value" per vector, as ngspice's wrdata
//   meas tran|dc|ac NAME ...          a .measure line on the current plot; the result is a vector
//   alter DEV [PARAM] [=] VALUE       an instance value, kept until `reset`
//   alterparam NAME = VALUE           a top-level .param, taking effect at the next `reset`
//   reset                             the netlist as written, with the alterparam values
//   define NAME(a, b) EXPR / undefine NAME   a function of vectors, expanded where it is called
//   foreach VAR v1 v2 ... / end, repeat N / end, while EXPR / end, dowhile EXPR / end,
//   if EXPR / [else] / end, quit | exit [N]
//
// Anything else is a warning naming the command and its file:line, and the script goes on.
// .measure lines of the netlist are evaluated after every analysis of their type, as ngspice
// does. Every analysis elaborates the netlist again (with the alterations), so analyses are
// isolated exactly as dot-analyses are.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/plot.hpp"
#include "engine/simulator.hpp"
#include "netlists/control/control_script.hpp"
#include "netlists/control/control_vectors.hpp"
#include "netlists/elaborate.hpp"
#include "netlists/parser/parser.hpp"

namespace picospice {

struct ControlSettings {
  std::function<void(const std::string&)> print;  // one line of output, without its newline
  WarningSink warn;                               // one formatted warning line
  RunSettings run;                                // progress and statistics of each analysis
};

struct ControlOutcome {
  int analyses_requested = 0;  // analysis commands and `run`s met
  int analyses_run = 0;        // analyses that finished
  int analyses_failed = 0;     // analysis commands that failed (each warned about)
  bool quit = false;           // `quit` / `exit` was met
  int exit_status = 0;         // its argument
  // The alterations in effect when the block ended (`alter`, and `alterparam` after `reset`):
  // ngspice's circuit keeps them, so the dot-analyses that follow the block run with them.
  ElaborationEdits edits;
};

// A vector expression that cannot be evaluated (an unknown vector, lengths that differ). ngspice
// reports it and goes on with the next command; so does picospice, with a warning at its line.
class ControlEvaluationError : public NetlistError {
 public:
  using NetlistError::NetlistError;
};

class ControlExecutor {
 public:
  ControlExecutor(std::shared_ptr<const Netlist> netlist, ControlSettings settings);
  ~ControlExecutor();
  // Runs every block of the netlist in order; stops at `quit`. Throws NetlistError for a
  // malformed script (a loop without `end`).
  ControlOutcome run();

 private:
  struct ControlPlot {
    std::string name;  // as ngspice names it: the analysis and its count, `tran1`, `noise2`
    Plot plot;
    std::map<std::string, ControlVector> lets;
  };

  void execute(const std::vector<ControlCommand>& commands);
  void execute(const ControlCommand& command);
  void dispatch(const ControlCommand& command);
  std::string substitute(const ControlCommand& command) const;
  void warn(const SourceLocation& at, const std::string& message) const;

  void analysis(const ControlCommand& command, const std::string& text);
  void run_netlist_analyses(const ControlCommand& command);
  void simulate(const ControlCommand& command, ElaborationEdits edits);
  void set(const std::string& text);
  void define(const ControlCommand& command, const std::string& text);
  std::string expand_defines(const ControlCommand& command, const std::string& text) const;
  void setplot(const ControlCommand& command, const std::vector<std::string>& words);
  void add_plot(Plot plot);
  bool has_plot() const { return current_ < plots_.size(); }
  ControlPlot& current() { return plots_[current_]; }
  const ControlPlot& current() const { return plots_[current_]; }
  void let(const ControlCommand& command, const std::string& text);
  void print(const ControlCommand& command, const std::string& text);
  void write(const ControlCommand& command, const std::vector<std::string>& words);
  void wrdata(const ControlCommand& command, const std::vector<std::string>& words);
  void measure(const ControlCommand& command, const std::string& text);
  void alter(const ControlCommand& command, const std::string& text);
  void alterparam(const ControlCommand& command, const std::string& text);
  void if_block(const ControlCommand& command, const std::string& condition);
  void foreach_loop(const ControlCommand& command, const std::vector<std::string>& words);
  void repeat_loop(const ControlCommand& command, const std::vector<std::string>& words);
  void while_loop(const ControlCommand& command);

  std::optional<ControlVector> lookup(const std::string& name) const;
  ControlVector evaluate(const ControlCommand& command, const std::string& text) const;
  LogicalLine as_directive(const ControlCommand& command, const std::string& text) const;

  std::shared_ptr<const Netlist> netlist_;
  ControlSettings settings_;
  std::map<std::string, std::string> variables_;
  std::vector<ControlPlot> plots_;
  std::size_t current_ = 0;                     // the plot commands read (`setplot`); the newest
  std::map<std::string, int> plot_counts_;      // plots made so far, per analysis
  std::map<std::string, ControlVector> constants_;  // `let` before any analysis
  struct UserFunction {
    std::vector<std::string> params;
    std::string body;
  };
  std::map<std::string, UserFunction> functions_;  // `define`
  std::map<std::string, InstanceEdit> alterations_;
  ParamOverrides params_, pending_params_;
  std::map<std::string, std::vector<Plot>> written_;  // by `write`, per file, for `appendwrite`
  ControlOutcome outcome_;
};

// False for the plots that are one point with no scale: op, tf, the integrated noise.
bool has_scale(const Plot& plot);
// A vector's name in the control language: `onoise_total` for the raw file's v(onoise_total) in
// a plot with no scale; the signal's name otherwise.
std::string vector_name(const Plot& plot, const Signal& signal);

// Splits at blanks outside parentheses and quotes: `print v(a) v(a, b)*2` -> two expressions.
std::vector<std::string> split_expressions(const std::string& text);

}  // namespace picospice

#include "netlists/control/control_script.hpp"

#include <cctype>

namespace picospice {
namespace {

bool opens_block(const std::string& name) {
  return name == "foreach" || name == "repeat" || name == "while" || name == "dowhile" || name == "if";
}

ControlCommand read_command(const ScriptLine& line) {
  ControlCommand command;
  command.location = line.location;
  std::size_t i = 0;
  while (i < line.text.size() && !std::isspace(static_cast<unsigned char>(line.text[i]))) ++i;
  for (std::size_t k = 0; k < i; ++k)
    command.name += static_cast<char>(std::tolower(static_cast<unsigned char>(line.text[k])));
  while (i < line.text.size() && std::isspace(static_cast<unsigned char>(line.text[i]))) ++i;
  command.rest = line.text.substr(i);
  command.words = split_words(command.rest);
  return command;
}

// Reads commands from lines[pos] on until the end of the lines (`opener` null) or the `end` that
// closes `opener`; pos is left after that `end`.
std::vector<ControlCommand> read_block(const std::vector<ScriptLine>& lines, std::size_t& pos,
                                       const ControlCommand* opener) {
  std::vector<ControlCommand> commands;
  while (pos < lines.size()) {
    ControlCommand command = read_command(lines[pos++]);
    if (command.name == "end") {
      if (!opener) throw NetlistError(command.location, "'end' without a 'foreach', 'repeat', 'while' or 'if' to close");
      return commands;
    }
    if (opens_block(command.name)) command.body = read_block(lines, pos, &command);
    commands.push_back(std::move(command));
  }
  if (opener)
    throw NetlistError(opener->location, "'" + opener->name + "' without a matching 'end' before '.endc'");
  return commands;
}

}  // namespace

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::vector<ControlCommand> parse_control_script(const std::vector<ScriptLine>& lines) {
  std::size_t pos = 0;
  return read_block(lines, pos, nullptr);
}

}  // namespace picospice

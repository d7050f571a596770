#include "codesign/json_file.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <vector>

#include "base/atomic_file.hpp"

namespace picospice {
namespace {

using nlohmann::json;

// nlohmann's SAX interface, building the same document its own parser would while keeping the
// path to the value being read, so an error (a number overflow included, which nlohmann reports
// without a place) can say where it is.
class PathTrackingBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(number_integer_t value) { return add(value); }
  bool number_unsigned(number_unsigned_t value) { return add(value); }
  bool number_float(number_float_t value, const string_t&) { return add(value); }
  bool string(string_t& value) { return add(std::move(value)); }
  bool binary(binary_t& value) { return add(json::binary(std::move(value))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool key(string_t& name) {
    key_ = name;
    return true;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t byte, const std::string&, const nlohmann::detail::exception& error) {
    fail(byte, json_error_text(error));
    return false;
  }

  json& result() { return root_; }
  bool failed() const { return !message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  struct Open {
    json* value;
    std::size_t count = 0;  // elements added so far (arrays)
    std::string key;        // the key of the element being read (objects)
  };

  void fail(std::size_t byte, const std::string& why) {
    if (message_.empty()) message_ = fmt::format("at {} (byte {}): {}", path(), byte, why);
  }
  void fail(const std::string& why) {
    if (message_.empty()) message_ = fmt::format("at {}: {}", path(), why);
  }

  // The JSON path of the value being read: layers[1].W_c[0][2].
  std::string path() const {
    std::string text;
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      const Open& open = stack_[i];
      const bool last = i + 1 == stack_.size();
      if (open.value->is_array()) text += fmt::format("[{}]", last ? open.count : open.count - 1);
      else text += (text.empty() ? "" : ".") + (last ? key_ : open.key);
    }
    return text.empty() ? "the top level" : text;
  }

  json* place(json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Open& top = stack_.back();
    if (top.value->is_array()) {
      top.value->push_back(std::move(value));
      ++top.count;
      return &top.value->back();
    }
    top.key = key_;
    json& slot = (*top.value)[key_];
    slot = std::move(value);
    return &slot;
  }
  bool add(json&& value) {
    place(std::move(value));
    return true;
  }
  bool open(json&& container) {
    if (stack_.size() >= kMaxJsonDepth) {
      fail(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
      return false;
    }
    json* value = place(std::move(container));
    stack_.push_back(Open{value, 0, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json root_;
  std::vector<Open> stack_;
  std::string key_;
  std::string message_;
};

}  // namespace

std::string json_error_text(const std::exception& error) {
  std::string text = error.what();
  if (text.rfind("[json.exception.", 0) == 0) {
    const auto end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

json parse_json_text(const std::string& text, const std::string& source) {
  PathTrackingBuilder builder;
  bool ok = false;
  try {
    ok = json::sax_parse(text, &builder);
  } catch (const std::exception& error) {  // sax_parse reports through parse_error; this is a guard
    throw std::runtime_error(fmt::format("{}: not valid JSON: {}", source, json_error_text(error)));
  }
  if (!ok || builder.failed())
    throw std::runtime_error(fmt::format("{}: not valid JSON {}", source,
                                         builder.failed() ? builder.message() : std::string("(unknown error)")));
  return std::move(builder.result());
}

json read_json_file(const std::filesystem::path& path, const std::string& what, JsonFileRole role) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw std::runtime_error(path.string() + ": cannot read the " + what + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the " + what);
  if (role == JsonFileRole::input) note_input_file(path);
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJsonBytes)
      throw std::runtime_error(fmt::format("{}: the {} is larger than {} MiB", path.string(), what, kMaxJsonBytes >> 20));
  }
  return parse_json_text(text, path.string());
}

}  // namespace picospice

// Reading and writing `picospice-dataset/1` datasets (see dataset.hpp and DATASET.md).
#include "training/dataset.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "base/atomic_file.hpp"
#include "codesign/json_file.hpp"

namespace picospice::training {
namespace {

using nlohmann::json;

const char* const kSplitNames[] = {"train", "validation", "test"};

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw DatasetError(fmt::format("{}: {}", where, message));
}

std::string trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return "";
  return std::string(s.substr(a, s.find_last_not_of(" \t\r") - a + 1));
}

// Splits on commas (the clip id may not hold one, so no quoting is needed).
void split_fields(const std::string& line, std::vector<std::string>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    fields.push_back(trim(std::string_view(line).substr(start, comma == std::string::npos ? std::string::npos
                                                                                            : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  return ec == std::errc() && p == end;
}

bool parse_int(const std::string& s, long& v) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  return ec == std::errc() && p == end;
}

// Reads a CSV file line by line: blank lines skipped, each other line split into `fields`; the
// first goes to header(where, fields), the others to row(where, fields), `where` being "file:line".
// An empty file (no header) is an error quoting `expected_header`.
template <class Header, class Row>
void read_csv_rows(const std::filesystem::path& path, const char* what, const char* expected_header,
                   const Header& header, const Row& row) {
  std::ifstream in(path);
  if (!in) fail(path.string(), fmt::format("cannot open this split's {}", what));
  std::string line;
  std::vector<std::string> fields;
  int line_no = 0;
  bool header_read = false;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = fmt::format("{}:{}", path.string(), line_no);
    if (trim(line).empty()) continue;
    split_fields(line, fields);
    if (header_read) {
      row(where, fields);
    } else {
      header(where, fields);
      header_read = true;
    }
  }
  if (!header_read) fail(path.string(), fmt::format("empty file (expected at least the header `{}`)", expected_header));
}

std::vector<Clip> read_split_csv(const std::filesystem::path& path, int inputs, int classes) {
  std::vector<Clip> clips;
  std::set<std::string> seen;  // clip ids already closed, to catch a clip split in two
  const std::size_t columns = 3 + static_cast<std::size_t>(inputs);
  const auto header = [&](const std::string& where, const std::vector<std::string>& fields) {
    std::string expected = "clip,frame,label";
    for (int k = 0; k < inputs; ++k) expected += fmt::format(",x{}", k);
    std::string got;
    for (std::size_t i = 0; i < fields.size(); ++i) got += (i ? "," : "") + fields[i];
    if (got != expected)
      fail(where, fmt::format("expected the header `clip,frame,label,x0,...,x{}` ({} columns), got `{}`",
                              inputs - 1, columns, got.size() > 200 ? got.substr(0, 200) + "..." : got));
  };
  const auto row = [&](const std::string& where, const std::vector<std::string>& fields) {
    if (fields.size() != columns)
      fail(where, fmt::format("expected {} fields (clip, frame, label and {} inputs), got {}", columns, inputs,
                              fields.size()));
    const std::string& id = fields[0];
    if (id.empty()) fail(where, "empty clip id");
    long frame = 0, label = 0;
    if (!parse_int(fields[1], frame) || frame < 0)
      fail(where, fmt::format("frame: \"{}\" is not a non-negative integer", fields[1]));
    if (!parse_int(fields[2], label)) fail(where, fmt::format("label: \"{}\" is not an integer", fields[2]));
    if (label < 0 || label >= classes)
      fail(where, fmt::format("label {} is out of range [0, {}) (dataset.json says {} classes)", label, classes,
                              classes));
    const bool new_clip = clips.empty() || clips.back().id != id;
    if (new_clip) {
      if (!clips.empty()) seen.insert(clips.back().id);
      if (seen.count(id))
        fail(where, fmt::format("clip \"{}\" appears again after other clips (a clip's rows must be contiguous, "
                                "and ids unique within a split)", id));
      if (frame != 0) fail(where, fmt::format("clip \"{}\" starts at frame {} (expected 0)", id, frame));
      clips.push_back(Clip{id, static_cast<int>(label), {}});
    } else {
      Clip& clip = clips.back();
      if (frame != static_cast<long>(clip.frames.size()))
        fail(where, fmt::format("clip \"{}\": frame {} where frame {} was expected (frames are 0, 1, 2, ... in order)",
                                id, frame, clip.frames.size()));
      if (label != clip.label)
        fail(where, fmt::format("clip \"{}\": label {} differs from its frame 0's label {}", id, label, clip.label));
    }
    std::vector<double> x(inputs);
    for (int k = 0; k < inputs; ++k) {
      const std::string& f = fields[3 + k];
      if (!parse_double(f, x[k]) || !std::isfinite(x[k]))
        fail(where, fmt::format("x{}: \"{}\" is not a finite number", k, f));
      if (x[k] < 0) fail(where, fmt::format("x{}: negative input {} (inputs are non-negative currents)", k, x[k]));
    }
    clips.back().frames.push_back(std::move(x));
  };
  read_csv_rows(path, "CSV", "clip,frame,label,x0,...", header, row);
  return clips;
}

// A split's word spans (`clip,begin,end`): each names a clip of the split, at most once, with
// 0 <= begin < end <= its frames.
void read_word_spans_csv(const std::filesystem::path& path, std::vector<Clip>& clips) {
  std::map<std::string, Clip*> by_id;
  for (Clip& clip : clips) by_id[clip.id] = &clip;
  const auto header = [](const std::string& where, const std::vector<std::string>& fields) {
    if (fields != std::vector<std::string>{"clip", "begin", "end"}) fail(where, "expected the header `clip,begin,end`");
  };
  const auto row = [&](const std::string& where, const std::vector<std::string>& fields) {
    if (fields.size() != 3) fail(where, fmt::format("expected 3 fields (clip, begin, end), got {}", fields.size()));
    const auto found = by_id.find(fields[0]);
    if (found == by_id.end()) fail(where, fmt::format("clip \"{}\" is not in this split", fields[0]));
    Clip& clip = *found->second;
    if (clip.has_word_span()) fail(where, fmt::format("clip \"{}\" has a word span already", clip.id));
    long begin = 0, end = 0;
    if (!parse_int(fields[1], begin) || !parse_int(fields[2], end))
      fail(where, fmt::format("begin and end must be integers, got \"{}\" and \"{}\"", fields[1], fields[2]));
    if (!(0 <= begin && begin < end && end <= static_cast<long>(clip.frames.size())))
      fail(where, fmt::format("clip \"{}\": span [{}, {}) is not within its {} frames with begin < end", clip.id,
                              begin, end, clip.frames.size()));
    clip.word_begin = static_cast<int>(begin);
    clip.word_end = static_cast<int>(end);
  };
  read_csv_rows(path, "word spans", "clip,begin,end", header, row);
}

std::string format_number(double v) { return fmt::format("{}", v); }

void write_split_csv(const std::filesystem::path& path, const std::vector<Clip>& clips, int inputs) {
  write_file_atomically(path, [&](std::ostream& out) {
    std::string line = "clip,frame,label";
    for (int k = 0; k < inputs; ++k) line += fmt::format(",x{}", k);
    out << line << '\n';
    for (const Clip& clip : clips)
      for (std::size_t t = 0; t < clip.frames.size(); ++t) {
        line = fmt::format("{},{},{}", clip.id, t, clip.label);
        for (double v : clip.frames[t]) {
          line += ',';
          line += format_number(v);
        }
        out << line << '\n';
      }
  });
}

void write_word_spans_csv(const std::filesystem::path& path, const std::vector<Clip>& clips) {
  write_file_atomically(path, [&](std::ostream& out) {
    out << "clip,begin,end\n";
    for (const Clip& clip : clips)
      if (clip.has_word_span()) out << fmt::format("{},{},{}\n", clip.id, clip.word_begin, clip.word_end);
  });
}

bool any_word_span(const Dataset& d) {
  for (const std::vector<Clip>* split : {&d.train, &d.validation, &d.test})
    for (const Clip& clip : *split)
      if (clip.has_word_span()) return true;
  return false;
}

const json& required(const json& doc, const char* key, const std::string& file) {
  if (!doc.contains(key)) fail(file, fmt::format("{}: missing", key));
  return doc.at(key);
}

}  // namespace

void validate_dataset(const Dataset& d) {
  const std::string where = d.name.empty() ? std::string("dataset") : "dataset \"" + d.name + "\"";
  if (d.inputs < 1) fail(where, fmt::format("inputs must be >= 1, got {}", d.inputs));
  if (d.classes < 2) fail(where, fmt::format("classes must be >= 2, got {}", d.classes));
  if (static_cast<int>(d.class_names.size()) != d.classes)
    fail(where, fmt::format("{} class names for {} classes", d.class_names.size(), d.classes));
  const std::vector<Clip>* splits[] = {&d.train, &d.validation, &d.test};
  for (int s = 0; s < 3; ++s) {
    std::set<std::string> ids;
    for (const Clip& clip : *splits[s]) {
      const std::string at = fmt::format("{}: {} clip \"{}\"", where, kSplitNames[s], clip.id);
      if (clip.id.empty() || clip.id.find_first_of(",\n\r") != std::string::npos || trim(clip.id) != clip.id)
        fail(at, "a clip id must be non-empty, without commas, line breaks or surrounding blanks");
      if (!ids.insert(clip.id).second) fail(at, "clip id used twice in the split");
      if (clip.label < 0 || clip.label >= d.classes)
        fail(at, fmt::format("label {} is out of range [0, {})", clip.label, d.classes));
      if (clip.frames.empty()) fail(at, "no frames");
      if ((clip.word_begin != -1 || clip.word_end != -1) &&
          !(clip.has_word_span() && clip.word_end <= static_cast<int>(clip.frames.size())))
        fail(at, fmt::format("word span [{}, {}) is not within its {} frames with begin < end", clip.word_begin,
                             clip.word_end, clip.frames.size()));
      for (std::size_t t = 0; t < clip.frames.size(); ++t) {
        if (static_cast<int>(clip.frames[t].size()) != d.inputs)
          fail(at, fmt::format("frame {} has {} values, expected {}", t, clip.frames[t].size(), d.inputs));
        for (double v : clip.frames[t])
          if (!std::isfinite(v) || v < 0)
            fail(at, fmt::format("frame {}: input {} is not a finite non-negative number", t, v));
      }
    }
  }
}

Dataset load_dataset(const std::filesystem::path& dir_or_json) {
  std::filesystem::path json_path = dir_or_json;
  if (std::filesystem::is_directory(dir_or_json)) json_path /= "dataset.json";
  const std::string file = json_path.string();
  std::ifstream in(json_path);
  if (!in) {
    if (!std::filesystem::exists(dir_or_json)) fail(dir_or_json.string(), "no such dataset directory or file");
    fail(file, "cannot open the dataset description");
  }
  in.close();
  json doc;
  try {
    doc = read_json_file(json_path, "dataset description");
  } catch (const std::runtime_error& error) {  // the message already names the file and JSON path
    throw DatasetError(error.what());
  }
  if (!doc.is_object()) fail(file, "expected a JSON object");
  static const std::set<std::string> known{"format", "name", "inputs", "classes", "class_names", "splits",
                                           "word_spans", "provenance"};
  for (const auto& [key, value] : doc.items())
    if (!known.count(key))
      fail(file, fmt::format("{}: unknown key (expected format, name, inputs, classes, class_names, splits, "
                             "word_spans, provenance)", key));
  const json& format = required(doc, "format", file);
  if (!format.is_string() || format.get<std::string>() != kDatasetFormatTag)
    fail(file, fmt::format("format: expected \"{}\", got {}", kDatasetFormatTag, format.dump()));

  Dataset d;
  if (doc.contains("name")) {
    if (!doc["name"].is_string()) fail(file, "name: expected a string");
    d.name = doc["name"].get<std::string>();
  }
  const auto read_count = [&](const char* key, int minimum) {
    const json& j = required(doc, key, file);
    if (!j.is_number_integer() || j.get<long long>() < minimum || j.get<long long>() > 1000000)
      fail(file, fmt::format("{}: expected an integer >= {}, got {}", key, minimum, j.dump()));
    return j.get<int>();
  };
  d.inputs = read_count("inputs", 1);
  d.classes = read_count("classes", 2);
  if (doc.contains("class_names")) {
    const json& names = doc["class_names"];
    if (!names.is_array() || static_cast<int>(names.size()) != d.classes)
      fail(file, fmt::format("class_names: expected a list of {} strings (one per class)", d.classes));
    for (const auto& n : names) {
      if (!n.is_string()) fail(file, "class_names: expected strings, got " + n.dump());
      d.class_names.push_back(n.get<std::string>());
    }
  } else {
    for (int k = 0; k < d.classes; ++k) d.class_names.push_back(std::to_string(k));
  }
  if (doc.contains("provenance")) d.provenance = doc["provenance"];

  const json& splits = required(doc, "splits", file);
  if (!splits.is_object()) fail(file, "splits: expected an object {\"train\": FILE, \"validation\": FILE, \"test\": FILE}");
  for (const auto& [key, value] : splits.items())
    if (key != "train" && key != "validation" && key != "test")
      fail(file, fmt::format("splits.{}: unknown split (expected train, validation, test)", key));
  const std::filesystem::path base = json_path.parent_path();
  std::vector<Clip>* targets[] = {&d.train, &d.validation, &d.test};
  for (const char* key : kSplitNames) {
    if (!splits.contains(key)) fail(file, fmt::format("splits.{}: missing", key));
    if (!splits[key].is_string() || splits[key].get<std::string>().empty())
      fail(file, fmt::format("splits.{}: expected a CSV file name", key));
  }
  for (int s = 0; s < 3; ++s)
    *targets[s] = read_split_csv(base / splits[kSplitNames[s]].get<std::string>(), d.inputs, d.classes);
  if (d.train.empty()) fail(file, "the train split holds no clips");
  if (doc.contains("word_spans")) {
    const json& spans = doc["word_spans"];
    if (!spans.is_object()) fail(file, "word_spans: expected an object {\"train\": FILE, \"validation\": FILE, \"test\": FILE}");
    for (const auto& [key, value] : spans.items())
      if (key != "train" && key != "validation" && key != "test")
        fail(file, fmt::format("word_spans.{}: unknown split (expected train, validation, test)", key));
    for (int s = 0; s < 3; ++s) {
      if (!spans.contains(kSplitNames[s])) continue;  // a split without spans: none of its clips has one
      const json& name = spans[kSplitNames[s]];
      if (!name.is_string() || name.get<std::string>().empty())
        fail(file, fmt::format("word_spans.{}: expected a CSV file name", kSplitNames[s]));
      read_word_spans_csv(base / name.get<std::string>(), *targets[s]);
    }
  }
  return d;
}

void save_dataset(const Dataset& d, const std::filesystem::path& dir) {
  validate_dataset(d);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail(dir.string(), "cannot create the dataset directory: " + error.message());
  try {
    write_split_csv(dir / "train.csv", d.train, d.inputs);
    write_split_csv(dir / "validation.csv", d.validation, d.inputs);
    write_split_csv(dir / "test.csv", d.test, d.inputs);
    json doc{{"format", kDatasetFormatTag},
             {"name", d.name},
             {"inputs", d.inputs},
             {"classes", d.classes},
             {"class_names", d.class_names},
             {"splits", {{"train", "train.csv"}, {"validation", "validation.csv"}, {"test", "test.csv"}}},
             {"provenance", d.provenance}};
    if (any_word_span(d)) {
      write_word_spans_csv(dir / "train_word_spans.csv", d.train);
      write_word_spans_csv(dir / "validation_word_spans.csv", d.validation);
      write_word_spans_csv(dir / "test_word_spans.csv", d.test);
      doc["word_spans"] = {{"train", "train_word_spans.csv"},
                           {"validation", "validation_word_spans.csv"},
                           {"test", "test_word_spans.csv"}};
    }
    write_file_atomically(dir / "dataset.json", [&](std::ostream& out) { out << doc.dump(2) << '\n'; });
  } catch (const DatasetError&) {
    throw;
  } catch (const std::exception& e) {
    throw DatasetError(e.what());
  }
}

}  // namespace picospice::training

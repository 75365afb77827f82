#include "io/json_file.h"

#include <fstream>
#include <sstream>

#include "util/error.h"

namespace finefp8 {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open for reading", name);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) fail("{}: read error", name);
  try {
    return nlohmann::json::parse(bytes.str());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line L, column C: ...".
    fail("{}: not valid JSON (byte {}): {}", name, e.byte, e.what());
  }
}

}  // namespace finefp8

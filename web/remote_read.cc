#include "web/remote_read.h"

namespace promcast::web {

std::vector<std::vector<rules::Series>> answer_read(const std::vector<ReadQuery>& queries,
                                                    const std::vector<rules::Series>& all) {
  std::vector<std::vector<rules::Series>> out;
  out.reserve(queries.size());
  for (const auto& q : queries) out.push_back(select_series(all, q.matchers, q.start_ms, q.end_ms));
  return out;
}

exporter::HttpResponse handle_remote_read(const exporter::HttpRequest& request, const std::vector<rules::Series>& all) {
  (void)request;
  (void)all;
  exporter::HttpResponse r;
  r.status = 501;
  r.body = "remote read: protobuf messages not yet merged\n";
  return r;
}

}  // namespace promcast::web

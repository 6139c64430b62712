// make_bag_sink in builds without DDS: the CDR serialiser is Cyclone DDS's, so recording needs
// it. The config loader refuses `output.bag` first, with the file and line.
#include "percept/core/error.hpp"
#include "percept/ros2/bag.hpp"

namespace percept {

std::unique_ptr<Sink> make_bag_sink(const BagOptions&, const std::string&, const PipelineInfo&,
                                    std::vector<std::string>) {
  throw Error(ErrorCode::not_supported,
              "output.bag: percept was built without DDS (install cyclonedds-dev and "
              "cyclonedds-tools, configure with PERCEPT_DDS=AUTO)");
}

}  // namespace percept

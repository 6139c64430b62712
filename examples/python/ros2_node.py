#!/usr/bin/env python3
"""The skeleton of an rclpy node that runs percept on a camera topic (docs/PYTHON.md).

Not run here (no ROS 2 on the build machine); it uses only the percept API the tests check.
On a ROS 2 machine with percept built:

    PYTHONPATH=/path/to/percept/build/python python3 ros2_node.py --ros-args \
        -p model:=/path/to/model.onnx -r image:=/camera/image_raw

It subscribes to sensor_msgs/Image (bgr8, rgb8 or mono8), runs the model on each frame (the
GIL is released while it runs, so the executor's other callbacks go on) and publishes the
detections as vision_msgs/Detection2DArray with the track id in Detection2D.id.

For several cameras, batching, depth fusion and 3D, run the whole pipeline instead:
`percept run` with `ros2: {enabled: true}` publishes every result itself, and
percept.Runtime(config) gives them to Python.
"""
import numpy as np
import percept
import rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image
from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose


class PerceptNode(Node):
    def __init__(self):
        super().__init__("percept_detector")
        path = self.declare_parameter("model", "model.onnx").value
        conf = self.declare_parameter("conf", 0.4).value
        # A tracker gives each object an id that stays with it from frame to frame.
        self.model = percept.Model(path, conf=conf, tracker="bytetrack")
        self.get_logger().info("percept %r" % self.model)
        self.pub = self.create_publisher(Detection2DArray, "detections", 10)
        self.sub = self.create_subscription(Image, "image", self.on_image, 10)

    def on_image(self, msg):
        channels = {"bgr8": 3, "rgb8": 3, "mono8": 1}.get(msg.encoding)
        if channels is None:
            self.get_logger().warn("unsupported encoding %s" % msg.encoding, once=True)
            return
        buf = np.frombuffer(msg.data, np.uint8)
        shape = (msg.height, msg.width, 3) if channels == 3 else (msg.height, msg.width)
        strides = (msg.step, 3, 1) if channels == 3 else (msg.step, 1)
        frame = np.lib.stride_tricks.as_strided(buf, shape, strides)  # no copy
        if msg.encoding == "rgb8":
            frame = frame[:, :, ::-1].copy()  # or build the model with color="rgb"
        stamp_ns = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        result = self.model(frame, timestamp_ns=stamp_ns)
        out = Detection2DArray(header=msg.header)
        for box, score, label, track in zip(result.boxes, result.scores, result.labels,
                                            result.track_ids):
            d = Detection2D(header=msg.header, id=str(track) if track > 0 else "")
            d.bbox.center.position.x = float(box[0] + box[2]) / 2
            d.bbox.center.position.y = float(box[1] + box[3]) / 2
            d.bbox.size_x = float(box[2] - box[0])
            d.bbox.size_y = float(box[3] - box[1])
            h = ObjectHypothesisWithPose()
            h.hypothesis.class_id = label
            h.hypothesis.score = float(score)
            d.results.append(h)
            out.detections.append(d)
        self.pub.publish(out)


def main():
    rclpy.init()
    rclpy.spin(PerceptNode())


if __name__ == "__main__":
    main()

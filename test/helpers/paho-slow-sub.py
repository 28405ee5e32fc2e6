"""A paho-mqtt 1.6 subscriber that takes DELAY seconds over each message before paho acknowledges it
(paho sends the PUBACK after on_message returns): a reader slower than its publisher.
Usage: paho-slow-sub.py PORT TOPIC QOS COUNT DELAY TIMEOUT OUT. Prints "subscribed" once subscribed,
writes the payloads it got to OUT, one a line, and exits 0 when it has COUNT, 1 on timeout."""
import sys
import time

import paho.mqtt.client as mqtt

port, topic, qos, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
delay, timeout, out = float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
got = []


def on_connect(client, userdata, flags, rc):
    client.subscribe(topic, qos=qos)


def on_subscribe(client, userdata, mid, granted):
    print("subscribed", flush=True)


def on_message(client, userdata, msg):
    got.append(msg.payload.decode())
    if delay > 0:
        time.sleep(delay)


client = mqtt.Client(client_id="paho-slow-%d" % port, clean_session=True)
client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect("127.0.0.1", port, 60)
client.loop_start()
deadline = time.time() + timeout
while len(got) < count and time.time() < deadline:
    time.sleep(0.05)
client.disconnect()
client.loop_stop()
with open(out, "w") as f:
    f.write("".join(line + "\n" for line in got))
sys.exit(0 if len(got) >= count else 1)

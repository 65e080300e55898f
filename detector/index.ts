// Master detection, shared by agents, scheduler drivers, CLIs and masters: a fixed master or a
// ZooKeeper group (Mesos's src/master/detector and src/zookeeper), and the URL both are named by.

export { createDetector, parseMasterInfo, ZooKeeperMasterDetector, type DetectedMaster, type DetectorListener, type DetectorOptions, type MasterDetector } from './detector.js';
export { MASTER_LABEL, sequenceOf, ZooKeeperGroup, type GroupListener, type GroupOptions } from './group.js';
export { isZooKeeperUrl, parseZooKeeperUrl, type ZooKeeperUrl } from './zk-url.js';
export { createZooKeeperClient } from './zk-client.js';
export { fourLetter, startZooKeeper, zookeeperInstalled, ZOOKEEPER_JAR, type ZooKeeperServer, type ZooKeeperServerOptions } from './zookeeper-server.js';

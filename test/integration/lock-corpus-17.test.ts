import { otherMajorServer, otherMajorsUnavailable } from '../corpus/other-majors.js';
import { lockCorpusSuite } from '../corpus/suite.js';

lockCorpusSuite(17, () => otherMajorServer(17), otherMajorsUnavailable());

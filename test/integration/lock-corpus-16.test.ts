import { otherMajorServer, otherMajorsUnavailable } from '../corpus/other-majors.js';
import { lockCorpusSuite } from '../corpus/suite.js';

lockCorpusSuite(16, () => otherMajorServer(16), otherMajorsUnavailable());

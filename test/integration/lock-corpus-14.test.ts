import { otherMajorServer, otherMajorsUnavailable } from '../corpus/other-majors.js';
import { lockCorpusSuite } from '../corpus/suite.js';

lockCorpusSuite(14, () => otherMajorServer(14), otherMajorsUnavailable());

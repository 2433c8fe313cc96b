import { otherMajorServer, otherMajorsUnavailable } from '../corpus/other-majors.js';
import { lockCorpusSuite } from '../corpus/suite.js';

lockCorpusSuite(13, () => otherMajorServer(13), otherMajorsUnavailable());

/**
 * Instance types EC2 accepts here: real ones, with their vCPU count and memory (EC2 instance
 * type specifications). RunInstances and ModifyInstanceAttribute refuse any other name as AWS
 * refuses an unknown one.
 */
export interface InstanceTypeInfo {
  vcpus: number;
  memoryGiB: number;
  gpus?: number;
}

const sizes = (
  family: string,
  rows: Array<[size: string, vcpus: number, memoryGiB: number, gpus?: number]>,
): Array<[string, InstanceTypeInfo]> =>
  rows.map(([size, vcpus, memoryGiB, gpus]) => [
    `${family}.${size}`,
    { vcpus, memoryGiB, ...(gpus !== undefined && { gpus }) },
  ]);

export const INSTANCE_TYPES: ReadonlyMap<string, InstanceTypeInfo> = new Map([
  ...sizes("m1", [["small", 1, 1.7]]),
  ...sizes("t2", [
    ["nano", 1, 0.5],
    ["micro", 1, 1],
    ["small", 1, 2],
    ["medium", 2, 4],
    ["large", 2, 8],
    ["xlarge", 4, 16],
    ["2xlarge", 8, 32],
  ]),
  ...sizes("t3", [
    ["nano", 2, 0.5],
    ["micro", 2, 1],
    ["small", 2, 2],
    ["medium", 2, 4],
    ["large", 2, 8],
    ["xlarge", 4, 16],
    ["2xlarge", 8, 32],
  ]),
  ...sizes("t3a", [
    ["nano", 2, 0.5],
    ["micro", 2, 1],
    ["small", 2, 2],
    ["medium", 2, 4],
    ["large", 2, 8],
    ["xlarge", 4, 16],
    ["2xlarge", 8, 32],
  ]),
  ...sizes("m5", [
    ["large", 2, 8],
    ["xlarge", 4, 16],
    ["2xlarge", 8, 32],
    ["4xlarge", 16, 64],
    ["8xlarge", 32, 128],
    ["12xlarge", 48, 192],
    ["16xlarge", 64, 256],
    ["24xlarge", 96, 384],
  ]),
  ...sizes("c5", [
    ["large", 2, 4],
    ["xlarge", 4, 8],
    ["2xlarge", 8, 16],
    ["4xlarge", 16, 32],
    ["9xlarge", 36, 72],
    ["12xlarge", 48, 96],
    ["18xlarge", 72, 144],
    ["24xlarge", 96, 192],
  ]),
  ...sizes("g4dn", [
    ["xlarge", 4, 16, 1],
    ["2xlarge", 8, 32, 1],
    ["4xlarge", 16, 64, 1],
    ["8xlarge", 32, 128, 1],
    ["12xlarge", 48, 192, 4],
    ["16xlarge", 64, 256, 1],
    ["metal", 96, 384, 8],
  ]),
  ...sizes("g5", [
    ["xlarge", 4, 16, 1],
    ["2xlarge", 8, 32, 1],
    ["4xlarge", 16, 64, 1],
    ["8xlarge", 32, 128, 1],
    ["12xlarge", 48, 192, 4],
    ["16xlarge", 64, 256, 1],
    ["24xlarge", 96, 384, 4],
    ["48xlarge", 192, 768, 8],
  ]),
  ...sizes("g6", [
    ["xlarge", 4, 16, 1],
    ["2xlarge", 8, 32, 1],
    ["4xlarge", 16, 64, 1],
    ["8xlarge", 32, 128, 1],
    ["12xlarge", 48, 192, 4],
    ["16xlarge", 64, 256, 1],
    ["24xlarge", 96, 384, 4],
    ["48xlarge", 192, 768, 8],
  ]),
  ...sizes("p3", [
    ["2xlarge", 8, 61, 1],
    ["8xlarge", 32, 244, 4],
    ["16xlarge", 64, 488, 8],
  ]),
  ...sizes("p3dn", [["24xlarge", 96, 768, 8]]),
  ...sizes("p4d", [["24xlarge", 96, 1152, 8]]),
]);

export const isInstanceType = (name: string): boolean => INSTANCE_TYPES.has(name);

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * Published checksums of the files dl downloads. CIFAR-10: the sha256 of every file in the
 * official cifar-10-binary.tar.gz, as published by torchvision-ruby (lib/torchvision/datasets/
 * cifar10.rb); the five training batches also match ../shared/data/cifar-10. MNIST: sha256 of the
 * four original .gz files (../shared/data/mnist/SOURCE.md) and the published md5 of their
 * uncompressed contents, so a folder of either form can be verified.
 */
export const CIFAR10_ARCHIVE_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd";

export const CIFAR10_SHA256: Readonly<Record<string, string>> = {
  "data_batch_1.bin": "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
  "data_batch_2.bin": "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
  "data_batch_3.bin": "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
  "data_batch_4.bin": "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
  "data_batch_5.bin": "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
  "test_batch.bin": "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
};

/** sha256 of the .gz files as published (their gzip headers are the 1996/1998 originals). */
export const MNIST_GZ_SHA256: Readonly<Record<string, string>> = {
  "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
};

/** md5 of the uncompressed IDX files, as published. */
export const MNIST_RAW_MD5: Readonly<Record<string, string>> = {
  "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
  "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
  "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
  "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
};

/** Hex digest of a file, streamed (a 30 MB batch never sits in memory twice). */
export function hashFile(path: string, algorithm: "sha256" | "md5" = "sha256"): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash(algorithm);
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

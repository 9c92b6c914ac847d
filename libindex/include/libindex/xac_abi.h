/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LIBINDEX_XAC_ABI_H
#define LIBINDEX_XAC_ABI_H
/* The calls between libindex and a compiled sample program (IndeX XAC): a volume sample program
 * runs for the samples of a volume, a surface sample program for the points of slice planes. Plain C, and the
 * one definition both sides compile: libindex includes it, and the run-time compiler gets the same
 * text next to the program's prelude (kernels/xac/). Everything the program reads of the volume
 * goes through these function pointers, so its values and colours are libindex's own, bit for bit.
 * Positions are in the volume's object space (voxel space: voxel i spans [i, i + 1] on each axis). */

#ifdef __cplusplus
extern "C" {
#endif

#define LIBINDEX_XAC_ABI_VERSION 4
#define LIBINDEX_XAC_MAX_BUFFERS 8
/* Slots of the scene-element mapping (IndeX's rendering_kernel_program_scene_element_mapping):
 * `state.scene.access<T>(slot)` for a slot below this. */
#define LIBINDEX_XAC_MAX_SLOTS 16
/* Every parameter buffer slot the program sees is this long: the bytes a scene or client gave, then
 * zeros. A program that reads past its data (a bad index) reads zeros instead of foreign memory. */
#define LIBINDEX_XAC_BUFFER_BYTES 65536

/* What the program sees of its volume. */
typedef struct LibindexXacVolume {
  const void* sampler; /* libindex's sampler of this rank's brick; opaque here */
  /* The value at an object-space point, normalized as the colormap's domain expects (8- and 16-bit
   * integers to [0, 1]); nearest != 0: the voxel's own value. */
  float (*fetch)(const void* sampler, float x, float y, float z, int nearest);
  const void* colormap; /* opaque */
  /* The colormap's straight RGBA for a value (its domain and boundary mode applied). */
  void (*lookup)(const void* colormap, float value, float* rgba);
  float domain[2];
  float bbox_min[3], bbox_max[3];   /* object space: the whole volume's box */
  float sample_distance;            /* scene space: the distance between a ray's samples */
  float scaling[3], translation[3]; /* its placement: scene = object * scaling + translation */
} LibindexXacVolume;

/* Per-frame constants: the same for every sample of a frame. */
typedef struct LibindexXacFrame {
  LibindexXacVolume volume;
  /* The scene elements mapped to slots, where bit `slot` of mapped_slots is set. A volume's slot
   * reads that volume's voxels (on this rank: those under the program volume's brick) and looks
   * values up in its colormap; a colormap's slot reads the program's own voxels and looks values up
   * in that colormap. So either kind answers as a Sparse_volume and as a Colormap. */
  LibindexXacVolume slots[LIBINDEX_XAC_MAX_SLOTS];
  unsigned int mapped_slots;
  const unsigned char* buffers[LIBINDEX_XAC_MAX_BUFFERS]; /* each LIBINDEX_XAC_BUFFER_BYTES long */
  const unsigned char* zero_buffer;                       /* as long, all zeros: slots beyond the last */
  float eye[3], view_direction[3], up[3], right[3];       /* scene space, unit vectors */
  float scaling[3], translation[3];                       /* scene = object * scaling + translation */
  /* Where the scene root's own space lies: world = root * root_scaling + root_translation, world
   * being the space of `eye` and of the samples' `scene` positions (IndeX's index::scaling and
   * index::translation: XAC's scene-to-world transform). */
  float root_scaling[3], root_translation[3];
} LibindexXacFrame;

/* One sample. */
typedef struct LibindexXacSample {
  float object[3];        /* object (voxel) space */
  float scene[3];         /* scene space */
  float ray_direction[3]; /* scene space, unit */
  float ray_t;            /* scene-space distance from the eye */
  /* Surface programs: the plane's own colour there (the value through its colormap, straight RGBA)
   * and its unit normal, scene space. Zeros for volume programs. */
  float color[4];
  float normal[3];
} LibindexXacSample;

/* Runs the program for one sample. Returns its code: 0 (NV_IDX_PROG_OK) with the sample's straight
 * RGBA in rgba, anything else (NV_IDX_PROG_DISCARD_SAMPLE) when the sample adds nothing. */
typedef int (*LibindexXacExecute)(const LibindexXacFrame* frame, const LibindexXacSample* sample, float* rgba);
#define LIBINDEX_XAC_ENTRY_NAME "libindex_xac_execute"

#ifdef __cplusplus
}
#endif

#endif /* LIBINDEX_XAC_ABI_H */

// SPDX-License-Identifier: Apache-2.0
// After the program: the C entry point libindex calls for each sample (xac_abi.h). A fresh program
// object per sample, as every GPU thread of IndeX gets its own: members a program changes in
// execute() never leak into the next sample. The unit names the program's class in
// LIBINDEX_XAC_PROGRAM_CLASS (a surface program's is Surface_sample_program).

#ifndef LIBINDEX_XAC_PROGRAM_CLASS
#define LIBINDEX_XAC_PROGRAM_CLASS Volume_sample_program
#endif

#ifdef __CUDACC_RTC__
#define LIBINDEX_XAC_ENTRY extern "C" __device__
#else
#define LIBINDEX_XAC_ENTRY extern "C" __attribute__((visibility("default")))
#endif

LIBINDEX_XAC_ENTRY int libindex_xac_execute(const LibindexXacFrame* frame, const LibindexXacSample* sample,
                                            float* rgba) {
  namespace xac = ::nv::index::xac;
  xac::detail::g_current_frame = frame;
  LIBINDEX_XAC_PROGRAM_CLASS program;
  program.initialize();
  xac::Sample_info_self info;
  info.sample_position_object_space = make_float3(sample->object[0], sample->object[1], sample->object[2]);
  info.sample_position = info.sample_position_object_space;
  info.sample_cell_info = xac::Sample_cell_info{info.sample_position_object_space};
  info.scene_position = make_float3(sample->scene[0], sample->scene[1], sample->scene[2]);
  info.ray_direction = make_float3(sample->ray_direction[0], sample->ray_direction[1], sample->ray_direction[2]);
  info.ray_t = sample->ray_t;
  info.sample_context = xac::Sample_context{0};
  info.sample_color = make_float4(sample->color[0], sample->color[1], sample->color[2], sample->color[3]);
  info.sample_normal = make_float3(sample->normal[0], sample->normal[1], sample->normal[2]);
  xac::Sample_output out;
  const int code = program.execute(info, out);
  rgba[0] = out.color.x, rgba[1] = out.color.y, rgba[2] = out.color.z, rgba[3] = out.color.w;
  return code;
}

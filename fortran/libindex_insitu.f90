! SPDX-License-Identifier: Apache-2.0
! In-situ visualization from Fortran: ISO_C_BINDING interfaces to libindex/insitu_c.h (which documents
! the semantics). Compile this file with your code, link with `pkg-config --libs libindex`:
!   mpif90 -c $(pkg-config --variable=includedir libindex)/libindex/libindex_insitu.f90
!   mpif90 sim.f90 libindex_insitu.o $(pkg-config --libs libindex) -o sim
!
!   use libindex_insitu
!   type(libindex_insitu_publisher) :: viz
!   real(c_float), allocatable, target :: u(:,:,:)          ! x fastest: u(x, y, z)
!   if (libindex_insitu_create(viz, MPI_COMM_WORLD, port=0) /= LIBINDEX_INSITU_OK) &
!     print *, libindex_insitu_last_error()                  ! collective; no publisher: why create failed
!   do step = 0, nsteps - 1
!     feed = libindex_insitu_parameter(viz, "feed", 0.055d0, 0d0, 0.1d0)   ! steerable from the browser
!     ...
!     code = libindex_insitu_publish(viz, "u", u, lo, hi, global_lo, global_hi, ghost_layers=1)
!     if (libindex_insitu_update(viz, step, t) /= 0) print *, libindex_insitu_last_error(viz)
!   end do
!   call libindex_insitu_destroy(viz)                        ! collective
!
! Boxes are 0-based, half-open voxel ranges [lo, hi) along x, y, z, as in C. A published array is
! borrowed, and read by the updates that render it until it is published again or withdrawn
! (libindex_insitu_withdraw before deallocating it); it should have the TARGET attribute. A 3-D
! section such as u(1:nx, 1:ny, 1:nz) of an array with ghost cells is published in place (its strides
! are worked out), as is a strided 1-D section; `strides`, when given, count elements of memory from
! the array's first element (one component of an interleaved array), whatever the section. The
! argument must be an array or a section of one, not an expression or a vector subscript
! (u([1,3,5],:,:)): those are temporaries, gone when publish returns.
! The communicator is an MPI_Fint handle (`use mpi`: MPI_COMM_WORLD; `use mpi_f08`: comm%MPI_VAL).
module libindex_insitu
  use, intrinsic :: iso_c_binding
  implicit none
  private

  integer(c_int), parameter, public :: LIBINDEX_INSITU_OK = 0, LIBINDEX_INSITU_BAD_FIELD = 1, &
                                       LIBINDEX_INSITU_BAD_DECOMPOSITION = 2, LIBINDEX_INSITU_RENDER_FAILED = 3, &
                                       LIBINDEX_INSITU_INTERNAL = 4, LIBINDEX_INSITU_INVALID_ARGUMENT = 5, &
                                       LIBINDEX_INSITU_TRUNCATED = 6

  !> libindex_insitu_options in C (libindex_insitu_options_init sets the defaults).
  type, bind(c), public :: libindex_insitu_options
    integer(c_int) :: port
    type(c_ptr) :: bind
    integer(c_int) :: width, height
    integer(c_int) :: every_steps
    real(c_double) :: every_seconds
    integer(c_int) :: quiet
    real(c_double) :: max_frame_seconds
    integer(c_int) :: asynchronous
    integer(c_int) :: render_threads
    type(c_ptr) :: backend
    real(c_double) :: render_share
    real(c_double) :: copy_refresh_share
  end type

  !> A publisher; null until libindex_insitu_create succeeds.
  type, public :: libindex_insitu_publisher
    type(c_ptr) :: ptr = c_null_ptr
  end type

  public :: libindex_insitu_create, libindex_insitu_destroy, libindex_insitu_publish, libindex_insitu_update, &
            libindex_insitu_parameter, libindex_insitu_command, libindex_insitu_last_error, libindex_insitu_url, &
            libindex_insitu_rendered, libindex_insitu_frames_rendered, libindex_insitu_flush, libindex_insitu_withdraw

  interface libindex_insitu_publish
    module procedure publish_float_1d, publish_float_3d, publish_int16_1d, publish_int16_3d
  end interface
  interface libindex_insitu_update
    module procedure update_int, update_long
  end interface

  ! The C functions.
  interface
    subroutine c_options_init(options) bind(c, name="libindex_insitu_options_init")
      import :: libindex_insitu_options
      type(libindex_insitu_options), intent(out) :: options
    end subroutine
    function c_create_f(comm, options, out) bind(c, name="libindex_insitu_create_f") result(code)
      import :: c_int, c_ptr, libindex_insitu_options
      integer(c_int), value :: comm
      type(libindex_insitu_options), intent(in) :: options
      type(c_ptr), intent(out) :: out
      integer(c_int) :: code
    end function
    subroutine c_destroy(p) bind(c, name="libindex_insitu_destroy")
      import :: c_ptr
      type(c_ptr), value :: p
    end subroutine
    function c_publish_float(p, name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers, strides) &
        bind(c, name="libindex_insitu_publish_float") result(code)
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: p, data, strides
      character(kind=c_char), intent(in) :: name(*)
      integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3)
      integer(c_int), value :: ghost_layers
      integer(c_int) :: code
    end function
    function c_publish_int16(p, name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers, strides) &
        bind(c, name="libindex_insitu_publish_int16") result(code)
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: p, data, strides
      character(kind=c_char), intent(in) :: name(*)
      integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3)
      integer(c_int), value :: ghost_layers
      integer(c_int) :: code
    end function
    function c_withdraw(p, name) bind(c, name="libindex_insitu_withdraw") result(code)
      import :: c_int, c_ptr, c_char
      type(c_ptr), value :: p
      character(kind=c_char), intent(in) :: name(*)
      integer(c_int) :: code
    end function
    function c_update(p, step, time) bind(c, name="libindex_insitu_update") result(code)
      import :: c_int, c_ptr, c_long_long, c_double
      type(c_ptr), value :: p
      integer(c_long_long), value :: step
      real(c_double), value :: time
      integer(c_int) :: code
    end function
    function c_flush(p) bind(c, name="libindex_insitu_flush") result(code)
      import :: c_int, c_ptr
      type(c_ptr), value :: p
      integer(c_int) :: code
    end function
    function c_rendered(p) bind(c, name="libindex_insitu_rendered") result(r)
      import :: c_int, c_ptr
      type(c_ptr), value :: p
      integer(c_int) :: r
    end function
    function c_frames_rendered(p) bind(c, name="libindex_insitu_frames_rendered") result(n)
      import :: c_long_long, c_ptr
      type(c_ptr), value :: p
      integer(c_long_long) :: n
    end function
    function c_parameter(p, name, initial, min, max) bind(c, name="libindex_insitu_parameter") result(v)
      import :: c_ptr, c_char, c_double
      type(c_ptr), value :: p
      character(kind=c_char), intent(in) :: name(*)
      real(c_double), value :: initial, min, max
      real(c_double) :: v
    end function
    function c_command(p, json_rpc, reply, reply_size) bind(c, name="libindex_insitu_command") result(code)
      import :: c_int, c_ptr, c_char, c_size_t
      type(c_ptr), value :: p
      character(kind=c_char), intent(in) :: json_rpc(*)
      character(kind=c_char), intent(out) :: reply(*)
      integer(c_size_t), value :: reply_size
      integer(c_int) :: code
    end function
    function c_last_error(p) bind(c, name="libindex_insitu_last_error") result(s)
      import :: c_ptr
      type(c_ptr), value :: p
      type(c_ptr) :: s
    end function
    function c_url(p) bind(c, name="libindex_insitu_url") result(s)
      import :: c_ptr
      type(c_ptr), value :: p
      type(c_ptr) :: s
    end function
    function c_strlen(s) bind(c, name="strlen") result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function
  end interface

contains

  !> Collective over `comm` (a Fortran handle): rank 0 starts the server. Absent options keep the
  !> defaults (port 8080, bind "127.0.0.1", 512 x 512, a frame every step, backend "auto"). Returns 0, or nonzero on
  !> every rank with libindex_insitu_last_error() saying why.
  function libindex_insitu_create(viz, comm, port, bind, width, height, every_steps, every_seconds, quiet, &
                                  max_frame_seconds, asynchronous, render_threads, backend, render_share, &
                                  copy_refresh_share) &
                                  result(code)
    type(libindex_insitu_publisher), intent(out) :: viz
    integer, intent(in) :: comm
    integer, intent(in), optional :: port, width, height, every_steps, render_threads
    character(len=*), intent(in), optional :: bind, backend
    real(c_double), intent(in), optional :: every_seconds, max_frame_seconds, render_share, copy_refresh_share
    logical, intent(in), optional :: quiet, asynchronous
    integer(c_int) :: code
    type(libindex_insitu_options) :: o
    character(kind=c_char, len=:), allocatable, target :: cbind, cbackend
    call c_options_init(o)
    if (present(port)) o%port = port
    if (present(width)) o%width = width
    if (present(height)) o%height = height
    if (present(every_steps)) o%every_steps = every_steps
    if (present(every_seconds)) o%every_seconds = every_seconds
    if (present(max_frame_seconds)) o%max_frame_seconds = max_frame_seconds
    if (present(render_threads)) o%render_threads = render_threads
    if (present(render_share)) o%render_share = render_share
    if (present(copy_refresh_share)) o%copy_refresh_share = copy_refresh_share
    if (present(quiet)) then
      if (quiet) o%quiet = 1
    end if
    if (present(asynchronous)) then
      if (asynchronous) o%asynchronous = 1
    end if
    if (present(bind)) then
      cbind = trim(bind)//c_null_char
      o%bind = c_loc(cbind)
    end if
    if (present(backend)) then
      cbackend = trim(backend)//c_null_char
      o%backend = c_loc(cbackend)
    end if
    code = c_create_f(int(comm, c_int), o, viz%ptr)
  end function

  !> Collective; a null publisher is allowed.
  subroutine libindex_insitu_destroy(viz)
    type(libindex_insitu_publisher), intent(inout) :: viz
    call c_destroy(viz%ptr)
    viz%ptr = c_null_ptr
  end subroutine

  function strides_address(strides) result(address)
    integer(c_long_long), intent(in), target, optional :: strides(3)
    type(c_ptr) :: address
    address = c_null_ptr
    if (present(strides)) address = c_loc(strides)
  end function

  function publish_float_3d(viz, name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers, strides) &
      result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: name
    real(c_float), intent(in), target :: data(:, :, :)
    integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3)
    integer, intent(in), optional :: ghost_layers
    integer(c_long_long), intent(in), target, optional :: strides(3)
    integer(c_int) :: code
    integer(c_long_long), target :: section(3)
    if (size(data) == 0) then
      code = c_publish_float(viz%ptr, trim(name)//c_null_char, c_null_ptr, local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), strides_address(strides))
    else if (is_contiguous(data) .or. present(strides)) then
      code = c_publish_float(viz%ptr, trim(name)//c_null_char, c_loc(data(1, 1, 1)), local_lo, local_hi, global_lo, &
                             global_hi, ghosts(ghost_layers), strides_address(strides))
    else ! a section such as u(1:nx, 1:ny, 1:nz) of an array with ghost cells: its own strides
      section = element_steps(c_loc(data(1, 1, 1)), c_loc(data(min(2, size(data, 1)), 1, 1)), &
                              c_loc(data(1, min(2, size(data, 2)), 1)), c_loc(data(1, 1, min(2, size(data, 3)))), &
                              c_sizeof(data(1, 1, 1)))
      code = c_publish_float(viz%ptr, trim(name)//c_null_char, c_loc(data(1, 1, 1)), local_lo, local_hi, global_lo, &
                             global_hi, ghosts(ghost_layers), c_loc(section))
    end if
  end function

  function publish_float_1d(viz, name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers, strides) &
      result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: name
    real(c_float), intent(in), target :: data(:)
    integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3)
    integer, intent(in), optional :: ghost_layers
    integer(c_long_long), intent(in), target, optional :: strides(3)
    integer(c_int) :: code
    integer(c_long_long), target :: section(3)
    if (size(data) == 0) then
      code = c_publish_float(viz%ptr, trim(name)//c_null_char, c_null_ptr, local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), strides_address(strides))
    else if (is_contiguous(data) .or. present(strides)) then ! given strides count elements from data(1)
      code = c_publish_float(viz%ptr, trim(name)//c_null_char, c_loc(data(1)), local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), strides_address(strides))
    else ! a strided section such as flat(1::3): a dense box's strides times its step
      section = element_steps(c_loc(data(1)), c_loc(data(min(2, size(data)))), c_loc(data(1)), c_loc(data(1)), &
                              c_sizeof(data(1)))
      section = section(1) * box_strides(local_lo, local_hi, global_lo, global_hi, ghosts(ghost_layers))
      code = c_publish_float(viz%ptr, trim(name)//c_null_char, c_loc(data(1)), local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), c_loc(section))
    end if
  end function

  function publish_int16_3d(viz, name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers, strides) &
      result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: name
    integer(c_int16_t), intent(in), target :: data(:, :, :)
    integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3)
    integer, intent(in), optional :: ghost_layers
    integer(c_long_long), intent(in), target, optional :: strides(3)
    integer(c_int) :: code
    integer(c_long_long), target :: section(3)
    if (size(data) == 0) then
      code = c_publish_int16(viz%ptr, trim(name)//c_null_char, c_null_ptr, local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), strides_address(strides))
    else if (is_contiguous(data) .or. present(strides)) then
      code = c_publish_int16(viz%ptr, trim(name)//c_null_char, c_loc(data(1, 1, 1)), local_lo, local_hi, global_lo, &
                             global_hi, ghosts(ghost_layers), strides_address(strides))
    else ! a section such as u(1:nx, 1:ny, 1:nz) of an array with ghost cells: its own strides
      section = element_steps(c_loc(data(1, 1, 1)), c_loc(data(min(2, size(data, 1)), 1, 1)), &
                              c_loc(data(1, min(2, size(data, 2)), 1)), c_loc(data(1, 1, min(2, size(data, 3)))), &
                              c_sizeof(data(1, 1, 1)))
      code = c_publish_int16(viz%ptr, trim(name)//c_null_char, c_loc(data(1, 1, 1)), local_lo, local_hi, global_lo, &
                             global_hi, ghosts(ghost_layers), c_loc(section))
    end if
  end function

  function publish_int16_1d(viz, name, data, local_lo, local_hi, global_lo, global_hi, ghost_layers, strides) &
      result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: name
    integer(c_int16_t), intent(in), target :: data(:)
    integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3)
    integer, intent(in), optional :: ghost_layers
    integer(c_long_long), intent(in), target, optional :: strides(3)
    integer(c_int) :: code
    integer(c_long_long), target :: section(3)
    if (size(data) == 0) then
      code = c_publish_int16(viz%ptr, trim(name)//c_null_char, c_null_ptr, local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), strides_address(strides))
    else if (is_contiguous(data) .or. present(strides)) then ! given strides count elements from data(1)
      code = c_publish_int16(viz%ptr, trim(name)//c_null_char, c_loc(data(1)), local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), strides_address(strides))
    else ! a strided section such as flat(1::3): a dense box's strides times its step
      section = element_steps(c_loc(data(1)), c_loc(data(min(2, size(data)))), c_loc(data(1)), c_loc(data(1)), &
                              c_sizeof(data(1)))
      section = section(1) * box_strides(local_lo, local_hi, global_lo, global_hi, ghosts(ghost_layers))
      code = c_publish_int16(viz%ptr, trim(name)//c_null_char, c_loc(data(1)), local_lo, local_hi, global_lo, global_hi, &
                             ghosts(ghost_layers), c_loc(section))
    end if
  end function

  !> Elements between an array's first element and its next one along x, y and z (1 where a
  !> dimension has one element): the strides of a section. An assumed-shape TARGET dummy is the
  !> caller's memory, not a copy, so these are the addresses update() will read.
  function element_steps(first, next_x, next_y, next_z, element_bytes) result(steps)
    type(c_ptr), intent(in) :: first, next_x, next_y, next_z
    integer(c_size_t), intent(in) :: element_bytes
    integer(c_long_long) :: steps(3)
    integer(c_intptr_t) :: base
    base = transfer(first, base)
    steps(1) = (transfer(next_x, base) - base) / int(element_bytes, c_intptr_t)
    steps(2) = (transfer(next_y, base) - base) / int(element_bytes, c_intptr_t)
    steps(3) = (transfer(next_z, base) - base) / int(element_bytes, c_intptr_t)
    where (steps == 0) steps = 1
  end function

  !> The strides of a dense box: the local box grown by `ghost_layers` inside the global box, x
  !> fastest (as C reads a field published without strides).
  function box_strides(local_lo, local_hi, global_lo, global_hi, ghost_layers) result(s)
    integer(c_int), intent(in) :: local_lo(3), local_hi(3), global_lo(3), global_hi(3), ghost_layers
    integer(c_long_long) :: s(3), n(3)
    n = min(local_hi + ghost_layers, global_hi) - max(local_lo - ghost_layers, global_lo)
    s = [1_c_long_long, n(1), n(1) * n(2)]
  end function

  integer(c_int) function ghosts(ghost_layers)
    integer, intent(in), optional :: ghost_layers
    ghosts = 0
    if (present(ghost_layers)) ghosts = ghost_layers
  end function

  !> Stops publishing a field on this rank (call it before deallocating the array). Returns 0.
  function libindex_insitu_withdraw(viz, name) result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: name
    integer(c_int) :: code
    code = c_withdraw(viz%ptr, trim(name)//c_null_char)
  end function

  !> Collective: renders and serves a frame when one is due. Returns the status code (0: ok).
  function update_int(viz, step, time) result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    integer(c_int), intent(in) :: step
    real(c_double), intent(in) :: time
    integer(c_int) :: code
    code = c_update(viz%ptr, int(step, c_long_long), time)
  end function

  function update_long(viz, step, time) result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    integer(c_long_long), intent(in) :: step
    real(c_double), intent(in) :: time
    integer(c_int) :: code
    code = c_update(viz%ptr, step, time)
  end function

  !> Collective. Asynchronous: waits for the frame rendering in the background and serves it (e.g.
  !> after the last step). Returns the status code (0: ok).
  function libindex_insitu_flush(viz) result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    integer(c_int) :: code
    code = c_flush(viz%ptr)
  end function

  !> Whether the last update (or flush) served a frame.
  logical function libindex_insitu_rendered(viz)
    type(libindex_insitu_publisher), intent(in) :: viz
    libindex_insitu_rendered = c_rendered(viz%ptr) /= 0
  end function

  integer(c_long_long) function libindex_insitu_frames_rendered(viz)
    type(libindex_insitu_publisher), intent(in) :: viz
    libindex_insitu_frames_rendered = c_frames_rendered(viz%ptr)
  end function

  !> A steering value: `initial` until a browser sets another in [min, max], then that value on every rank.
  function libindex_insitu_parameter(viz, name, initial, min, max) result(v)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: name
    real(c_double), intent(in) :: initial, min, max
    real(c_double) :: v
    v = c_parameter(viz%ptr, trim(name)//c_null_char, initial, min, max)
  end function

  !> One JSON-RPC message as if a client sent it; `reply` gets the answer on rank 0 ("" elsewhere).
  function libindex_insitu_command(viz, json_rpc, reply) result(code)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=*), intent(in) :: json_rpc
    character(len=:), allocatable, intent(out), optional :: reply
    integer(c_int) :: code
    integer(c_size_t), parameter :: capacity = 1048576
    character(kind=c_char), allocatable :: buffer(:)
    integer :: n, i
    allocate (buffer(capacity))
    code = c_command(viz%ptr, json_rpc//c_null_char, buffer, capacity)
    if (present(reply)) then
      n = 0
      do while (n < capacity)
        if (buffer(n + 1) == c_null_char) exit
        n = n + 1
      end do
      allocate (character(len=n) :: reply)
      do i = 1, n
        reply(i:i) = buffer(i)
      end do
    end if
  end function

  !> A C string as a Fortran string ("" for a null pointer).
  function fortran_string(s) result(f)
    type(c_ptr), intent(in) :: s
    character(len=:), allocatable :: f
    character(kind=c_char), pointer :: chars(:)
    integer :: n, i
    if (.not. c_associated(s)) then
      f = ""
      return
    end if
    n = int(c_strlen(s))
    call c_f_pointer(s, chars, [n])
    allocate (character(len=n) :: f)
    do i = 1, n
      f(i:i) = chars(i)
    end do
  end function

  !> Why the last call on `viz` failed ("" when it succeeded); without `viz`, why the last create failed.
  function libindex_insitu_last_error(viz) result(message)
    type(libindex_insitu_publisher), intent(in), optional :: viz
    character(len=:), allocatable :: message
    if (present(viz)) then
      message = fortran_string(c_last_error(viz%ptr))
    else
      message = fortran_string(c_last_error(c_null_ptr))
    end if
  end function

  !> http(s)://host:port/ on rank 0, "" elsewhere.
  function libindex_insitu_url(viz) result(url)
    type(libindex_insitu_publisher), intent(in) :: viz
    character(len=:), allocatable :: url
    url = fortran_string(c_url(viz%ptr))
  end function

end module libindex_insitu

! SPDX-License-Identifier: Apache-2.0
! examples/insitu_minimal in Fortran, through the libindex_insitu module (fortran/libindex_insitu.f90,
! installed as include/libindex/libindex_insitu.f90): every rank owns a slab along z of a 32^3 field
! u(x, y, z), kept with a layer of ghost cells around it as a stencil code keeps it, publishes the
! slab's interior each step (a section of u, borrowed in place; libindex fetches the ghost voxels it
! needs from the neighbours) and updates.
!   inc=$(pkg-config --variable=includedir libindex)
!   mpif90 -c $inc/libindex/libindex_insitu.f90
!   mpif90 main.f90 libindex_insitu.o $(pkg-config --libs libindex) -o insitu_fortran
!   mpirun -np 4 ./insitu_fortran 100     # then open the printed URL
program insitu_fortran
  use mpi
  use, intrinsic :: iso_c_binding
  use libindex_insitu
  implicit none
  integer, parameter :: n = 32
  integer :: ierr, rank, ranks, steps, step, failures, z0, z1, x, y, z, code, io
  character(len=32) :: arg
  real(c_float), allocatable, target :: u(:, :, :)
  real(c_double) :: speed
  type(libindex_insitu_publisher) :: viz

  steps = 3
  if (command_argument_count() > 0) then
    call get_command_argument(1, arg)
    if (arg == '--help' .or. arg == '-h') then
      write (*, '(a)') 'usage: mpirun -np N insitu_fortran [steps=3]'
      write (*, '(a)') '  publishes a 32^3 field, a slab of it per rank, for that many steps and serves it: open the printed URL'
      stop
    end if
    read (arg, *, iostat=io) steps
    if (io /= 0 .or. steps < 0 .or. command_argument_count() > 1) then
      write (0, '(a)') "insitu_fortran: error: expected [steps], a whole number, not '"//trim(arg)//"' (see --help)"
      stop 2, quiet=.true. ! Fortran 2018: no "STOP 2" line after the message
    end if
  end if
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, ranks, ierr)
  z0 = n*rank/ranks
  z1 = n*(rank + 1)/ranks
  allocate (u(-1:n, -1:n, z0 - 1:z1)) ! the slab and its ghost cells (which this example leaves unset)

  ! Asynchronous: update copies u and returns; a thread renders it while the next steps compute.
  if (libindex_insitu_create(viz, MPI_COMM_WORLD, port=0, asynchronous=.true.) /= LIBINDEX_INSITU_OK) then
    if (rank == 0) write (*, '(a)') libindex_insitu_last_error()
    call MPI_Finalize(ierr)
    stop 1
  end if
  failures = 0
  do step = 0, steps - 1
    speed = libindex_insitu_parameter(viz, "speed", 0.2d0, 0.0d0, 1.0d0) ! steerable from the browser
    do z = z0, z1 - 1
      do y = 0, n - 1
        do x = 0, n - 1
          u(x, y, z) = real(0.5d0 + 0.5d0*sin(0.4d0*x + speed*step)*cos(0.3d0*y)*cos(0.2d0*z), c_float)
        end do
      end do
    end do
    code = libindex_insitu_publish(viz, "u", u(0:n - 1, 0:n - 1, z0:z1 - 1), [0, 0, z0], [n, n, z1], [0, 0, 0], [n, n, n])
    code = libindex_insitu_update(viz, step, 0.01d0*step) ! collective: every rank calls it
    if (code /= LIBINDEX_INSITU_OK) then
      failures = failures + 1
      if (rank == 0) write (*, '(a,i0,a,a)') 'step ', step, ': ', libindex_insitu_last_error(viz)
    end if
  end do
  if (libindex_insitu_flush(viz) /= LIBINDEX_INSITU_OK) failures = failures + 1 ! the last frame, served
  call libindex_insitu_destroy(viz)
  if (rank == 0) write (*, '(a,i0,a,i0,a,i0,a)') 'in situ (Fortran): ', steps, ' steps on ', ranks, ' ranks, ', &
    failures, ' failures'
  call MPI_Finalize(ierr)
  if (failures /= 0) stop 1
end program

# v1alpha.cmake — derives grpc.reflection.v1alpha's reflection.proto from
# the v1 one (cmake -P): -DIN=v1 file -DOUT=v1alpha file.
file(READ ${IN} text)
string(REPLACE "package grpc.reflection.v1;" "package grpc.reflection.v1alpha;"
       text "${text}")
file(WRITE ${OUT} "${text}")
